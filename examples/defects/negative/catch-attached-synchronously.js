'use strict';
// NEGATIVE (looks like unhandled-rejection, is not): the same failing
// saveProfile() as unhandled-rejection/01, but the caller attaches .catch()
// in the same synchronous step that creates the promise. When Node checks for
// unhandled rejections the promise already has a handler. Exit status 0.
// Why it is fine: the rejection is handled in time.

async function saveProfile(profile) {
  if (!profile.email) throw new Error('profile has no email');
  return { saved: true };
}

function onSubmit(form) {
  saveProfile(form).catch((err) => console.log(`could not save: ${err.message}`));
  console.log('form submitted');
}

onSubmit({ name: 'Ada' });
setTimeout(() => console.log('still running'), 20);
