'use strict';
// Money in integer cents.
function toCents(text) {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(String(text).trim());
  if (!m) throw new RangeError(`not an amount: ${text}`);
  const cents = Number(m[2]) * 100 + Number((m[3] || '0').padEnd(2, '0'));
  return m[1] ? -cents : cents;
}
function format(cents) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
function split(cents, parts) {
  const base = Math.floor(cents / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < cents - base * parts ? 1 : 0));
}
module.exports = { toCents, format, split };
