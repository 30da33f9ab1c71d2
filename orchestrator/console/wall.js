// The wall: a tile per phone, with its live screen, filters and pages.

import { html, useState } from "./vendor/htm-preact.js";
import { usePhones, useTicked } from "./farm.js";
import { Pages, StateBadge } from "./parts.js";
import { Screen } from "./screen.js";

const SIZES = [50, 100, 200];
/** A tile's screen is read again this long after the last read ends. */
const TILE_EVERY_MS = 1000;

function Tile({ phone, ticked, onTick, showHost }) {
  const ready = phone.state === "device";
  return html`<article class=${`tile ${ready ? "" : "not-ready"}`} data-serial=${phone.serial}>
    <a href=${`#/phone/${encodeURIComponent(phone.serial)}`} class="tile-screen"
       title="Open this phone">
      ${ready ? html`<${Screen} serial=${phone.serial} maxWidth=${180}
                                 every=${TILE_EVERY_MS} />`
              : html`<div class="screen"><p class="screen-error">${phone.state}</p></div>`}
    </a>
    <header>
      <label title="Sync control: input to an open phone goes to this one too">
        <input type="checkbox" checked=${ticked}
               onChange=${(e) => onTick(phone.serial, e.currentTarget.checked)} />
        <strong>${phone.serial}</strong>
      </label>
      <${StateBadge} state=${phone.state} />
    </header>
    <p class="tile-line">${phone.model || "unknown model"}${showHost ? ` · on ${phone.host}` : ""}${
      phone.current_task_id != null
      ? html` · <a href=${`#/task/${phone.current_task_id}`}>task ${phone.current_task_id}</a>`
      : " · idle"}${phone.pending_count ? ` · ${phone.pending_count} waiting` : ""}</p>
  </article>`;
}

export function Wall() {
  const phones = usePhones();
  const [ticked, tick] = useTicked();
  const [state, setState] = useState("");
  const [text, setText] = useState("");
  const [size, setSize] = useState(SIZES[0]);
  const [page, setPage] = useState(1);
  const needle = text.trim().toLowerCase();
  const shown = phones.filter((p) => (!state || p.state === state)
    && (!needle || `${p.serial} ${p.model}`.toLowerCase().includes(needle)));
  const states = [...new Set(phones.map((p) => p.state))].sort();
  const severalHosts = new Set(phones.map((p) => p.host)).size > 1;
  const last = Math.max(1, Math.ceil(shown.length / size));
  const current = Math.min(page, last);
  const tiles = shown.slice((current - 1) * size, current * size);
  const tickAll = (on) => tiles.forEach((p) => tick(p.serial, on));
  return html`<section class="wall">
    <div class="toolbar">
      <select aria-label="State" value=${state}
              onChange=${(e) => { setState(e.currentTarget.value); setPage(1); }}>
        <option value="">every state (${phones.length})</option>
        ${states.map((s) => html`<option value=${s}>${
          `${s} (${phones.filter((p) => p.state === s).length})`}</option>`)}
      </select>
      <input type="search" placeholder="serial or model" aria-label="Find a phone"
             value=${text} onInput=${(e) => { setText(e.currentTarget.value); setPage(1); }} />
      <select aria-label="Phones per page" value=${size}
              onChange=${(e) => { setSize(Number(e.currentTarget.value)); setPage(1); }}>
        ${SIZES.map((n) => html`<option value=${n}>${n} a page</option>`)}
      </select>
      <button type="button" onClick=${() => tickAll(true)}>Tick this page</button>
      <button type="button" onClick=${() => tickAll(false)}>Untick</button>
      <span class="muted">${ticked.size} ticked for sync control</span>
    </div>
    ${shown.length === 0 && html`<p class="empty">No phone ${phones.length ? "matches" : "yet"}.</p>`}
    <div class="tiles">
      ${tiles.map((p) => html`<${Tile} key=${p.serial} phone=${p} showHost=${severalHosts}
                                        ticked=${ticked.has(p.serial)} onTick=${tick} />`)}
    </div>
    <${Pages} page=${current} last=${last} onPage=${setPage} />
  </section>`;
}
