'use strict';
// NEGATIVE (looks like unhandled-rejection, is not): a promise is rejected
// and only gets its handler a few microtasks later (after an `await` of an
// already-resolved value). Node checks for unhandled rejections only once the
// microtask queue has drained, and by then the handler is attached: nothing
// is reported, not even "handled late". Exit status 0.
// Why it is fine: the handler arrives within the same microtask drain.

function validate(order) {
  return order.qty > 0 ? Promise.resolve(order) : Promise.reject(new Error(`bad quantity ${order.qty}`));
}

async function submit(order) {
  const checked = validate(order);
  const user = await Promise.resolve('ada'); // resolved already: same drain
  return checked.then(
    () => `${user}: order accepted`,
    (err) => `${user}: order refused (${err.message})`,
  );
}

submit({ qty: 0 }).then((msg) => console.log(msg));
