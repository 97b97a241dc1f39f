'use strict';
// A TTL cache that prunes expired entries every second and remembers what
// changed in a journal file.
const fs = require('node:fs');
const path = require('node:path');

const defect = process.env.APP_DEFECT || '';

class TtlCache {
  constructor({ ttlMs = 1000, journalDir } = {}) {
    this.ttlMs = ttlMs;
    this.journalDir = journalDir;
    this.entries = new Map();
    this.journaled = 0;
    this.pruner = setInterval(() => this.prune(), 1000); // looptrace-expect(leak): leaked-handle warning
  }

  set(key, value, now = Date.now()) {
    this.entries.set(key, { value, expires: now + this.ttlMs });
    if (this.journalDir) this.journal(key);
  }

  journal(key) {
    const file = path.join(this.journalDir, `${key}.touch`);
    if (defect === 'rejection') {
      fs.promises.writeFile(file, String(Date.now())).then(() => { this.journaled++; }); // looptrace-expect(rejection): unhandled-rejection error
    } else {
      fs.promises.writeFile(file, String(Date.now())).then(() => { this.journaled++; }, () => { this.journalErrors = (this.journalErrors || 0) + 1; });
    }
  }

  get(key, now = Date.now()) {
    const entry = this.entries.get(key);
    if (!entry || entry.expires <= now) return undefined;
    return entry.value;
  }

  prune(now = Date.now()) {
    for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
  }

  close() {
    // The leak variant's close() forgets the pruner.
    if (defect !== 'leak') clearInterval(this.pruner);
  }
}
module.exports = { TtlCache };
