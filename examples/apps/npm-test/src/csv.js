'use strict';
// A small CSV line parser (quotes, escaped quotes).
function parseLine(line) {
  const out = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(field); field = ''; } else field += c;
  }
  out.push(field);
  return out;
}
function parse(text) {
  const [head, ...rows] = text.trim().split('\n').map(parseLine);
  return rows.map((row) => Object.fromEntries(head.map((key, i) => [key, row[i]])));
}
module.exports = { parseLine, parse };
