// The materials library that `post` draws from: list and filter, upload, move to another
// tag, delete, and mark used files unused again.

import { html, useState } from "./vendor/htm-preact.js";
import { call } from "./api.js";
import { usePagedList } from "./paged.js";
import { Choice, Pages, Problem } from "./parts.js";

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
  const { filters, filterBy: set, page, setPage, last, list, error, setError, again } =
    usePagedList("/materials", { tag: "", kind: "", used: "" }, { materials: [], total: 0 });
  const remove = (m) => confirm(`Delete ${m.name}?`) && call("DELETE", at(m)).then(again, setError);
  const retag = (m) => {
    const tag = prompt(`Move ${m.name} to the tag (empty: the root)`, m.tag);
    if (tag !== null) call("PUT", at(m), { tag }).then(again, setError);
  };
  const reset = () => call("POST", "/materials/reset-used", filters.tag ? { tag: filters.tag } : {})
    .then(again, setError);
  return html`<section class="materials">
    <${Upload} onDone=${again} />
    <div class="toolbar">
      <input aria-label="Tag" placeholder="tag (_: the root)" value=${filters.tag}
             onChange=${set("tag")} />
      <${Choice} label="Kind" value=${filters.kind} onChange=${set("kind")}
        options=${[["", "videos and images"], ["video", "videos"], ["image", "images"]]} />
      <${Choice} label="Used" value=${filters.used} onChange=${set("used")}
        options=${[["", "used or not"], ["0", "unused"], ["1", "used"]]} />
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
    <${Pages} page=${page} last=${last} onPage=${setPage} />
  </section>`;
}
