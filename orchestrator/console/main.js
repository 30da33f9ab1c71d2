// The console's shell: the views by the address's #fragment, and the farm followed live.

import { html, render, useEffect, useState } from "./vendor/htm-preact.js";
import { Accounts } from "./accounts.js";
import { CreateTasks, scriptNames } from "./create.js";
import { start, useLink, usePhones } from "./farm.js";
import { useOpenApi } from "./form.js";
import { Materials } from "./materials.js";
import { PhoneView } from "./phone.js";
import { Schedules } from "./schedules.js";
import { TaskPage } from "./task.js";
import { Tasks } from "./tasks.js";
import { Wall } from "./wall.js";

const VIEWS = [["phones", "Phones"], ["tasks", "Tasks"], ["create", "New tasks"],
  ["schedules", "Schedules"], ["accounts", "Accounts"], ["materials", "Materials"]];

const LINK_TITLES = {
  connecting: "opening the farm's event stream",
  live: "following the farm's events as they happen",
  reconnecting: "the event stream broke: opening it again",
};

function useRoute() {
  const read = () => location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

function View({ route: [name, arg] }) {
  const doc = useOpenApi();
  switch (name) {
    case "phone": return html`<${PhoneView} serial=${arg} />`;
    case "task": return html`<${TaskPage} key=${arg} id=${Number(arg)} />`;
    case "tasks": return html`<${Tasks} scripts=${doc ? scriptNames(doc) : []} />`;
    case "create": return html`<${CreateTasks} />`;
    case "schedules": return html`<${Schedules} />`;
    case "accounts": return html`<${Accounts} />`;
    case "materials": return html`<${Materials} />`;
    default: return html`<${Wall} />`;
  }
}

function App() {
  const route = useRoute();
  const link = useLink();
  const phones = usePhones();
  const ready = phones.filter((p) => p.state === "device").length;
  const current = route[0] === "phone" ? "phones" : route[0] === "task" ? "tasks" : route[0] || "phones";
  return html`<header class="top">
      <h1>device-orchestrator</h1>
      <nav>${VIEWS.map(([name, label]) => html`<a href=${`#/${name}`}
        class=${current === name ? "current" : ""}>${label}</a>`)}</nav>
      <span class=${`link ${link}`} title=${LINK_TITLES[link]}>${link === "live"
        ? "live" : `${link}…`}</span>
      <span class="muted">${ready} of ${phones.length} phone(s) ready</span>
      <a class="muted" href="/api/v1/docs">API</a>
    </header>
    <main><${View} route=${route} /></main>`;
}

start();
render(html`<${App} />`, document.body);
