'use strict';
// NEGATIVE (looks like unhandled-rejection, is not): the fix for
// unhandled-rejection/05: both requests start together and are awaited
// together with Promise.all inside try/catch. Promise.all attaches a handler
// to both promises at once, so the early failure of the permissions call is
// handled in time and lands in the catch block. Exit status 0.
// Why it is fine: no rejected promise is ever without a handler.

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
    const [user, perms] = await Promise.all([fetchUser(7), fetchPermissions(7)]);
    console.log(`${user.name}: ${perms.length} permissions`);
  } catch (err) {
    console.log(`handled: ${err.message}`);
  }
}

main();
