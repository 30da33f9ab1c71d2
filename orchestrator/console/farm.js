// The farm as it changes: the phones, kept from GET /devices and the event stream, and
// each task event passed to whoever listens (a table patches the rows it shows).

import { useEffect, useState } from "./vendor/htm-preact.js";
import { API, call } from "./api.js";

const phones = new Map();
const listeners = new Set();
/** The device events that came while the phones were being read (null: not reading). */
let meanwhile = null;
/** Milliseconds before a stream the server closed for good is opened again. */
const REOPEN_MS = 5000;
/** The event stream: "connecting" (never open yet), "live" or "reconnecting". */
let link = "connecting";

function tell(kind, data) {
  for (const listener of listeners) listener(kind, data);
}

async function loadPhones() {
  meanwhile = [];
  try {
    const { devices } = await call("GET", "/devices");
    phones.clear();
    for (const device of [...devices, ...meanwhile]) phones.set(device.serial, device);
  } finally {
    meanwhile = null;
  }
  tell("phones", null);
}

function follow() {
  const stream = new EventSource(`${API}/events`);
  stream.addEventListener("device", (e) => {
    const device = JSON.parse(e.data);
    phones.set(device.serial, device);
    meanwhile?.push(device); // newer than the list being read
    tell("device", device);
  });
  stream.addEventListener("task", (e) => tell("task", JSON.parse(e.data)));
  stream.addEventListener("task_deleted", (e) => tell("task_deleted", JSON.parse(e.data)));
  // After a break the stream resumes from Last-Event-ID, but what fell out of the
  // server's buffer is lost: whoever shows a list loads it again ("reload").
  stream.addEventListener("open", () => {
    const again = link === "reconnecting";
    link = "live";
    tell("link", link);
    if (again) loadPhones().then(() => tell("reload", null), () => {});
  });
  stream.addEventListener("error", () => {
    if (link === "live") link = "reconnecting";
    tell("link", link);
    // the browser reconnects by itself, but not after an answer that is not a stream
    // (a 401 once the token changed, a 503): then we do, a moment later; a call of the
    // API meanwhile says which (a 40101 goes to the token's prompt: `call`)
    if (stream.readyState === EventSource.CLOSED) {
      loadPhones().catch(() => {});
      setTimeout(follow, REOPEN_MS);
    }
  });
}

let started = false;
/** Start following the farm, once. */
export function start() {
  if (started) return;
  started = true;
  follow();
  loadPhones().catch(() => {});
}

/** Calls `listener(kind, data)` for every change while the calling component is mounted. */
export function useFarmEvents(listener, deps = []) {
  useEffect(() => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, deps);
}

/** `read()`, read again on each change of the `kinds`, and once the component listens
 * (what changed between its first render and then would be missed otherwise). */
function useFarmState(read, kinds) {
  const [value, setValue] = useState(read);
  useEffect(() => {
    const listener = (kind) => kinds.includes(kind) && setValue(read());
    listeners.add(listener);
    setValue(read());
    return () => listeners.delete(listener);
  }, []);
  return value;
}

/** The phones, sorted by serial, kept current. */
export const usePhones = () => useFarmState(sorted, ["phones", "device"]);

/** How the event stream is: "connecting", "live" or "reconnecting". */
export const useLink = () => useFarmState(() => link, ["link"]);

function sorted() {
  return [...phones.values()].sort((a, b) => a.serial.localeCompare(b.serial));
}

// The phones an operator ticked: sync control sends them the same input.
const ticked = new Set();
const tickListeners = new Set();

/** The ticked serials and a function to tick or untick one. */
export function useTicked() {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((v) => v + 1);
    tickListeners.add(listener);
    return () => tickListeners.delete(listener);
  }, []);
  const tick = (serial, on) => {
    if (on) ticked.add(serial);
    else ticked.delete(serial);
    for (const listener of tickListeners) listener();
  };
  return [ticked, tick];
}
