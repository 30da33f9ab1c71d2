// The materials library that `post` draws from: list and filter, upload, move to another
// tag, delete, and mark used files unused again.

import { html, useEffect, useState } from "./vendor/htm-preact.js";
import { call, query } from "./api.js";
import { Pages, Problem } from "./parts.js";

const PAGE_SIZE = 50;
/** A file's size as a person reads it. */
const sized = (bytes) => (bytes < 1048576 ? `${Math.ceil(bytes / 1024)} KiB`
  : `${(bytes / 1048576).toFixed(1)} MiB`);
const at = (m) => `/materials/${encodeURIComponent(m.tag || "_")}/${encodeURIComponent(m.name)}`;

function Upload({ onDone }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function send(e) {
    e.preventDefault();
    const form = e.currentTarget; // gone from the event once it has been dispatched
    setBusy(true);
    try {
      await call("POST", "/materials", new FormData(form));
      form.reset();
      setError(null);
      onDone();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="upload" onSubmit=${send}>
    <input type="file" name="file" multiple required aria-label="Files to upload"
           accept="video/*,image/*" />
    <input name="tag" placeholder="tag (none: the root)" aria-label="Tag" />
    <label><input type="checkbox" name="replace" value="1" /> replace files of the same name</label>
    <button type="submit" class="primary" disabled=${busy}>${busy ? "Uploading…" : "Upload"}</button>
    <${Problem} error=${error} />
  </form>`;
}

export function Materials() {
  const [filters, setFilters] = useState({ tag: "", kind: "", used: "" });
  const [page, setPage] = useState(1);
  const [list, setList] = useState({ materials: [], total: 0 });
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    call("GET", query("/materials", { ...filters, page, page_size: PAGE_SIZE }))
      .then(setList, setError);
  }, [filters, page, version]);
  const again = () => { setError(null); setVersion((v) => v + 1); };
  const remove = (m) => confirm(`Delete ${m.name}?`) && call("DELETE", at(m)).then(again, setError);
  const retag = (m) => {
    const tag = prompt(`Move ${m.name} to the tag (empty: the root)`, m.tag);
    if (tag !== null) call("PUT", at(m), { tag }).then(again, setError);
  };
  const reset = () => call("POST", "/materials/reset-used", filters.tag ? { tag: filters.tag } : {})
    .then(again, setError);
  const set = (name) => (e) => { setFilters({ ...filters, [name]: e.currentTarget.value }); setPage(1); };
  return html`<section class="materials">
    <${Upload} onDone=${again} />
    <div class="toolbar">
      <input aria-label="Tag" placeholder="tag (_: the root)" value=${filters.tag}
             onChange=${set("tag")} />
      <select aria-label="Kind" value=${filters.kind} onChange=${set("kind")}>
        <option value="">videos and images</option>
        <option value="video">videos</option><option value="image">images</option>
      </select>
      <select aria-label="Used" value=${filters.used} onChange=${set("used")}>
        <option value="">used or not</option>
        <option value="0">unused</option><option value="1">used</option>
      </select>
      <button type="button" onClick=${reset}>Mark ${filters.tag ? "this tag's" : "every"} file unused</button>
      <span class="muted">${list.total} file(s)</span>
    </div>
    <${Problem} error=${error} />
    <table class="grid">
      <thead><tr><th>name</th><th>tag</th><th>kind</th><th>size</th><th>used</th><th></th></tr></thead>
      <tbody>${list.materials.map((m) => html`<tr key=${at(m)}>
        <td>${m.name}</td><td>${m.tag || "—"}</td><td>${m.kind}</td>
        <td>${sized(m.size)}</td>
        <td>${m.used ? `by ${m.used_by || "?"} at ${m.used_at}` : "no"}</td>
        <td class="actions"><button type="button" onClick=${() => retag(m)}>Move</button>
          <button type="button" class="danger" onClick=${() => remove(m)}>Delete</button></td>
      </tr>`)}</tbody>
    </table>
    <${Pages} page=${page} last=${Math.max(1, Math.ceil(list.total / PAGE_SIZE))} onPage=${setPage} />
  </section>`;
}
