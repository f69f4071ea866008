// masto.js (the TypeScript/JavaScript Mastodon library) against our server: REST, then the
// WebSocket user stream receiving an update. Run by test_client_masto_js.py with
//   node masto_client.mjs <base url> <token of ada> <token of bob> <bob's account id>
// and prints one JSON line with what it saw.
import { createRestAPIClient, createStreamingAPIClient } from "masto";
import WebSocket from "ws";

const [base, adaToken, bobToken, bobId] = process.argv.slice(2);
const ada = createRestAPIClient({ url: base, accessToken: adaToken });
const bob = createRestAPIClient({ url: base, accessToken: bobToken });

const me = await ada.v1.accounts.verifyCredentials();
const relationship = await ada.v1.accounts.$select(bobId).follow();
const first = await bob.v1.statuses.create({ status: "first from bob", visibility: "public" });
const second = await bob.v1.statuses.create({ status: "second from bob" });
const paginator = ada.v1.timelines.home.list({ limit: 1 });
const pages = [];
for await (const page of paginator) {
  pages.push(page.map((status) => status.id));
  if (pages.length === 3) break;
}
await ada.v1.statuses.$select(first.id).favourite();
const instance = await ada.v2.instance.fetch();

const streaming = createStreamingAPIClient({
  streamingApiUrl: instance.configuration.urls.streaming,
  accessToken: adaToken,
  implementation: WebSocket,
  retry: false,
});
const subscription = streaming.user.subscribe();
// Posted once the socket has had time to open; the update may arrive before this resolves.
const posted = new Promise((resolve, reject) => {
  setTimeout(() => bob.v1.statuses.create({ status: "live from bob" }).then(resolve, reject), 1500);
});
const failsafe = setTimeout(() => {
  console.error("no update within 20 s");
  process.exit(2);
}, 20000);
let update = null;
for await (const event of subscription) {
  if (event.event === "update") {
    update = { id: event.payload.id, content: event.payload.content, acct: event.payload.account.acct };
    break;
  }
}
const live = await posted;
clearTimeout(failsafe);
subscription.unsubscribe();
streaming.close();
console.log(
  JSON.stringify({
    me: me.acct,
    following: relationship.following,
    posted: [first.id, second.id],
    pages,
    version: instance.version,
    update,
    live: live.id,
  }),
);
process.exit(0);
