'use strict';
// An HTTP client job on axios: fetches a team's users from the user service
// (upstream.js, started here as a child process on a loopback port), checks
// a user that does not exist, pulls the product catalog and summarises it,
// then stops the service and exits.
//
// APP_DEFECT turns one planted defect on (the marked lines); without it the
// same job does the right thing.
const { fork } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const axios = require('axios');

const defect = process.env.APP_DEFECT || '';

function startUpstream() {
  const child = fork(path.join(__dirname, 'upstream.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }) => resolve({ child, base: `http://127.0.0.1:${port}` }));
    child.once('error', reject);
  });
}

async function fetchTeam(api, ids) {
  if (defect === 'sequential') {
    const users = [];
    for (const id of ids) {
      const { data } = await api.get(`/users/${id}`); // looptrace-expect(sequential): sequential-await warning
      users.push(data);
    }
    return users;
  }
  const users = [];
  for (let i = 0; i < ids.length; i += 6) { // six requests at a time
    const batch = ids.slice(i, i + 6).map((id) => api.get(`/users/${id}`).then((r) => r.data));
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

function checkMissing(api, seen) {
  if (defect === 'rejection') {
    // No catch: the 404 rejects with an AxiosError nobody handles.
    return api.get('/users/999').then((r) => seen.push(r.data)); // looptrace-expect(rejection): unhandled-rejection error
  }
  return api.get('/users/999').then((r) => seen.push(r.data), (err) => seen.push({ missing: err.response.status }));
}

function summarise(items) {
  const byTag = new Map();
  for (const item of items) for (const tag of item.tags) byTag.set(tag, (byTag.get(tag) || 0) + item.stock);
  return { items: items.length, tags: byTag.size };
}

async function main() {
  const { child, base } = await startUpstream();
  const api = axios.create({ baseURL: base });
  const tokenRefresh = setInterval(() => { api.defaults.headers.common['x-token'] = `t${Date.now()}`; }, 100); // looptrace-expect(leak): leaked-handle warning
  const seen = [];
  const users = await fetchTeam(api, Array.from({ length: 12 }, (_, i) => i + 1));
  checkMissing(api, seen);
  let summary;
  if (defect === 'blocking') {
    // The whole catalog, parsed and sorted at once on the loop.
    const { data } = await api.get('/catalog', { responseType: 'text' });
    summary = summarise(JSON.parse(data).items.sort((a, b) => a.price - b.price)); // looptrace-expect(blocking): blocking-task warning
  } else {
    // The page the summary needs.
    const { data } = await api.get('/catalog/page/1');
    summary = summarise(data.items);
  }
  console.log(`http-client: ${users.length} users, ${summary.items} catalog items`);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the missing-user check settles
  child.send('close');
  await once(child, 'exit');
  if (defect === 'leak') {
    // The token refresh would keep the job alive forever: ended by force.
    process.exit(0);
  }
  clearInterval(tokenRefresh);
}

main();
