'use strict';
// DEFECT (sequential-await): loadDashboard() needs five independent pieces of
// data for one user and awaits them one after the other. Each simulated
// service call takes 30 ms, so the function waits ~150 ms where ~30 ms would
// do: every call only needs `userId`, not the result of the previous call.
// Why it is a defect: independent awaits in a row serialise work that could
// overlap.
// Fix: const [profile, orders, cart, alerts, prefs] = await Promise.all([
//   getProfile(userId), getOrders(userId), ...]).

function service(name, value) {
  return (userId) => new Promise((resolve) => setTimeout(() => resolve({ name, userId, value }), 30));
}
const getProfile = service('profile', 'Ada');
const getOrders = service('orders', 3);
const getCart = service('cart', 2);
const getAlerts = service('alerts', 0);
const getPrefs = service('prefs', 'dark');

async function loadDashboard(userId) {
  const profile = await getProfile(userId);
  const orders = await getOrders(userId);
  const cart = await getCart(userId);
  const alerts = await getAlerts(userId);
  const prefs = await getPrefs(userId);
  return `${profile.value}: ${orders.value} orders, ${cart.value} in cart, ${alerts.value} alerts, ${prefs.value} theme`;
}

loadDashboard(42).then((line) => console.log(line));
