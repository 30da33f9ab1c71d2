// The device accounts: list and filter, add, edit, import CSV, delete.

import { html, useState } from "./vendor/htm-preact.js";
import { call } from "./api.js";
import { SchemaFields, bodyOf, shownOf, useOpenApi } from "./form.js";
import { usePagedList } from "./paged.js";
import { Choice, Pages, Problem } from "./parts.js";

function AccountForm({ doc, account, onDone }) {
  const schema = doc.components.schemas.AccountBody;
  const [values, setValues] = useState(() => (account ? shownOf(doc, schema, account) : {}));
  const [error, setError] = useState(null);
  async function save(e) {
    e.preventDefault();
    try {
      const body = bodyOf(doc, schema, values, "", { clearing: Boolean(account) });
      if (account) await call("PUT", `/accounts/${account.id}`, body);
      else await call("POST", "/accounts", body);
      onDone();
    } catch (failure) {
      setError(failure);
    }
  }
  return html`<form class="account-form" onSubmit=${save}>
    <h3>${account ? `Edit ${account.username}` : "New account"}</h3>
    <${SchemaFields} doc=${doc} schema=${schema} values=${values} error=${error}
                     prefix="" onChange=${setValues} />
    <${Problem} error=${error && !error.field ? error : null} />
    <button type="submit" class="primary">Save</button>
    <button type="button" onClick=${onDone}>Cancel</button>
  </form>`;
}

function Import({ onDone }) {
  const [text, setText] = useState("");
  const [error, setError] = useState(null);
  async function send(e) {
    e.preventDefault();
    try {
      await call("POST", "/accounts/import", text, { type: "text/csv" });
      onDone();
    } catch (failure) {
      setError(failure);
    }
  }
  const read = async (e) => {
    const [file] = e.currentTarget.files; // none when the picker was cancelled
    if (file) setText(await file.text());
  };
  return html`<form class="import" onSubmit=${send}>
    <h3>Import accounts (CSV with a header; tags separated by |)</h3>
    <input type="file" accept=".csv,text/csv" aria-label="CSV file" onChange=${read} />
    <textarea rows="6" aria-label="CSV text" value=${text}
              placeholder="username,platform,device,password,tags"
              onInput=${(e) => setText(e.currentTarget.value)} />
    <${Problem} error=${error} />
    <button type="submit" class="primary">Import all or none</button>
    <button type="button" onClick=${onDone}>Cancel</button>
  </form>`;
}

export function Accounts() {
  const doc = useOpenApi();
  const { filters, filterBy: set, page, setPage, last, list, error, setError, again } =
    usePagedList("/accounts", { platform: "", device: "", status: "", tag: "" },
                 { accounts: [], total: 0 });
  const [editing, setEditing] = useState(null); // null, "new", "import" or an account
  const done = () => { setEditing(null); again(); };
  const remove = (account) => confirm(`Delete the account ${account.username}?`)
    && call("DELETE", `/accounts/${account.id}`).then(done, setError);
  if (!doc) return null;
  return html`<section class="accounts">
    <div class="toolbar">
      <${Choice} label="Platform" value=${filters.platform} onChange=${set("platform")}
        options=${[["", "every platform"], ["tiktok", "tiktok"], ["instagram", "instagram"]]} />
      <${Choice} label="Account status" value=${filters.status} onChange=${set("status")}
        options=${[["", "enabled and disabled"], ["0", "enabled"], ["1", "disabled"]]} />
      <input aria-label="Phone" placeholder="phone" value=${filters.device} onChange=${set("device")} />
      <input aria-label="Tag" placeholder="tag" value=${filters.tag} onChange=${set("tag")} />
      <button type="button" onClick=${() => setEditing("new")}>Add</button>
      <button type="button" onClick=${() => setEditing("import")}>Import CSV</button>
      <span class="muted">${list.total} account(s)</span>
    </div>
    <${Problem} error=${error} />
    ${editing === "import" ? html`<${Import} onDone=${done} />`
      : editing && html`<${AccountForm} key=${editing.id || "new"} doc=${doc}
                          account=${editing === "new" ? null : editing} onDone=${done} />`}
    <table class="grid">
      <thead><tr><th>id</th><th>username</th><th>platform</th><th>phone</th><th>logged in</th>
        <th>status</th><th>tags</th><th></th></tr></thead>
      <tbody>${list.accounts.map((a) => html`<tr key=${a.id} data-account=${a.id}>
        <td>${a.id}</td><td>${a.username}</td><td>${a.platform}</td>
        <td>${a.device || ""} ${a.device && (a.device_online ? "●" : "○")}</td>
        <td>${a.logined_text}</td><td>${a.status_text}</td><td>${a.tags.join(", ")}</td>
        <td class="actions"><button type="button" onClick=${() => setEditing(a)}>Edit</button>
          <button type="button" class="danger" onClick=${() => remove(a)}>Delete</button></td>
      </tr>`)}</tbody>
    </table>
    <${Pages} page=${page} last=${last} onPage=${setPage} />
  </section>`;
}
