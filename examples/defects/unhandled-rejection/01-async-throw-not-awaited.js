'use strict';
// DEFECT (unhandled-rejection): onSubmit() calls the async function
// saveProfile() and neither awaits it nor attaches .catch(). saveProfile
// throws (the profile has no e-mail address), so the promise it returned is
// rejected with no handler. In the default mode
// (--unhandled-rejections=throw) Node turns that into an uncaught exception
// and the process dies with exit status 1; the timer below never runs.
// Why it is a defect: a fire-and-forget async call whose failure nobody sees.
// Fix: await it inside try/catch, or saveProfile(form).catch(report).

async function saveProfile(profile) {
  if (!profile.email) throw new Error('profile has no email');
  return { saved: true };
}

function onSubmit(form) {
  saveProfile(form);
  console.log('form submitted');
}

onSubmit({ name: 'Ada' });
setTimeout(() => console.log('never printed: the process died first'), 50);
