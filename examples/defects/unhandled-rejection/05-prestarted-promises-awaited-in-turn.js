'use strict';
// DEFECT (unhandled-rejection): main() starts two requests together (good),
// then awaits them one at a time inside try/catch (bad). The permissions call
// fails after 10 ms while main() is still awaiting the user (50 ms), so at
// that moment the rejected promise has no handler: Node reports it unhandled
// and, in the default mode, kills the process (exit status 1) before the
// try/catch is ever reached.
// Why it is a defect: a promise that is only awaited later is unhandled
// until then; the catch block cannot help.
// Fix: const [user, perms] = await Promise.all([userP, permsP]) inside the
// try, so both promises get a handler at once.

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function fetchUser(id) {
  await delay(50);
  return { id, name: 'Ada' };
}

async function fetchPermissions(id) {
  await delay(10);
  throw new Error(`permissions service unavailable for user ${id}`);
}

async function main() {
  try {
    const userP = fetchUser(7);
    const permsP = fetchPermissions(7);
    const user = await userP;
    const perms = await permsP;
    console.log(`${user.name}: ${perms.length} permissions`);
  } catch (err) {
    console.log(`handled: ${err.message}`);
  }
}

main();
