'use strict';
// DEFECT (leaked-handle): each Poller starts a setInterval in its constructor
// and has a stop() method that nobody calls. Three pollers are created, so
// three ref'd timers from the same line keep the process alive forever.
// (Record it with `looptrace record --duration 2`.)
// Why it is a defect: timers still armed at the end keep the process alive.
// Fix: call stop() on every poller when the work is done (or unref() the
// timers if polling must not hold the process open).

class Poller {
  constructor(name, everyMs) {
    this.name = name;
    this.polls = 0;
    this.timer = setInterval(() => { this.polls++; }, everyMs);
  }

  stop() {
    clearInterval(this.timer);
  }
}

const pollers = ['inbox', 'queue', 'config'].map((name) => new Poller(name, 300));
console.log(`polling ${pollers.map((p) => p.name).join(', ')}`);
