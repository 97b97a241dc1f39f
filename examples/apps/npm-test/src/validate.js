'use strict';
// Field validation for sign-up forms.
function validate(form) {
  const errors = {};
  if (!/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(form.email || '')) errors.email = 'invalid email';
  if (!form.name || form.name.trim().length < 2) errors.name = 'too short';
  if (form.age != null && !(Number.isInteger(form.age) && form.age >= 13)) errors.age = 'must be 13 or older';
  return { ok: Object.keys(errors).length === 0, errors };
}
module.exports = { validate };
