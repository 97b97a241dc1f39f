'use strict';
// Calendar helpers in UTC.
function addDays(date, days) {
  return new Date(date.getTime() + days * 86400000);
}
function isWeekend(date) {
  const day = date.getUTCDay();
  return day === 0 || day === 6;
}
function businessDaysBetween(from, to) {
  let count = 0;
  for (let d = from; d < to; d = addDays(d, 1)) if (!isWeekend(d)) count++;
  return count;
}
module.exports = { addDays, isWeekend, businessDaysBetween };
