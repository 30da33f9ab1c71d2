// The tasks: the API's list with its filters and pages, patched live from the event
// stream (no reload, no polling), with stop, retry, delete and retry-all.

import { html } from "./vendor/htm-preact.js";
import { STATUS, call } from "./api.js";
import { useFarmEvents } from "./farm.js";
import { PAGE_SIZE, usePagedList } from "./paged.js";
import { Choice, Pages, Problem, StatusBadge } from "./parts.js";

/** Whether `task` belongs in a list filtered by `filters`. */
function matches(task, filters) {
  return (filters.status === "" || task.status === Number(filters.status))
    && (!filters.serial || task.serial === filters.serial)
    && (!filters.script_name || task.script_name === filters.script_name)
    && (!filters.source || task.source === filters.source);
}

/** What a user can do to a task in its status, as [label, method, path]. */
function actionsOf(task) {
  const id = task.id;
  return [
    task.status <= 1 && ["Stop", "POST", `/task/${id}/stop`],
    task.status === 3 && ["Retry", "POST", `/task/${id}/retry`],
    ["Delete", "DELETE", `/task/${id}`],
  ].filter(Boolean);
}

export function TaskActions({ task, onError }) {
  const act = (label, method, path) => (label !== "Delete"
    || confirm(`Delete task ${task.id}? A running one is stopped first.`))
    && call(method, path).catch(onError);
  return html`<span class="actions">${actionsOf(task).map(([label, method, path]) =>
    html`<button type="button" class=${label === "Delete" ? "danger" : ""}
      onClick=${() => act(label, method, path)}>${label}</button>`)}</span>`;
}

function TaskRow({ task, onError }) {
  return html`<tr data-task=${task.id}>
    <td><a href=${`#/task/${task.id}`}>${task.id}</a></td>
    <td><${StatusBadge} status=${task.status} /></td>
    <td>${task.script_name}</td>
    <td><a href=${`#/phone/${encodeURIComponent(task.serial)}`}>${task.serial}</a></td>
    <td>${task.username || ""}</td>
    <td>${task.start_time}</td>
    <td>${task.end_time || ""}</td>
    <td class="remark">${task.remark}</td>
    <td><${TaskActions} task=${task} onError=${onError} /></td>
  </tr>`;
}

export function Tasks({ scripts }) {
  const { filters, filterBy: set, page, setPage, last, list, setList, error, setError, again } =
    usePagedList("/task", { status: "", serial: "", script_name: "", source: "" },
                 { tasks: [], total: 0 });

  useFarmEvents((kind, data) => {
    if (kind === "reload") again();
    if (kind === "task") {
      setList((old) => {
        const at = old.tasks.findIndex((t) => t.id === data.id);
        const fits = matches(data, filters);
        if (at >= 0) {
          const tasks = [...old.tasks];
          if (fits) tasks[at] = data;
          else tasks.splice(at, 1);
          return { tasks, total: old.total - (fits ? 0 : 1) };
        }
        const newest = old.tasks.length === 0 || data.id > old.tasks[0].id;
        if (!fits || page !== 1 || !newest) return old;
        return { tasks: [data, ...old.tasks].slice(0, PAGE_SIZE), total: old.total + 1 };
      });
    }
    if (kind === "task_deleted") {
      setList((old) => old.tasks.some((t) => t.id === data.id)
        ? { tasks: old.tasks.filter((t) => t.id !== data.id), total: old.total - 1 } : old);
    }
  }, [filters, page]);

  const retryAll = () => call("POST", "/task/retry-all").then(
    ({ retried_count: n }) => setError({ message: `${n} failed task(s) back to pending.` }), setError);
  return html`<section class="tasks">
    <div class="toolbar">
      <${Choice} label="Status" value=${filters.status} onChange=${set("status")}
        options=${[["", "every status"], ...STATUS.map((s, i) => [String(i), s])]} />
      <${Choice} label="Script" value=${filters.script_name} onChange=${set("script_name")}
        options=${[["", "every script"], ...scripts.map((s) => [s, s])]} />
      <input aria-label="Serial" placeholder="serial" value=${filters.serial}
             onChange=${set("serial")} />
      <${Choice} label="Source" value=${filters.source} onChange=${set("source")}
        options=${[["", "api and ui"], ["api", "api"], ["ui", "ui"]]} />
      <a class="button" href="#/create">New tasks</a>
      <button type="button" onClick=${retryAll}>Retry every failed task</button>
      <span class="muted">${list.total} task(s)</span>
    </div>
    <${Problem} error=${error} />
    <table class="grid">
      <thead><tr><th>id</th><th>status</th><th>script</th><th>phone</th><th>account</th>
        <th>start</th><th>end</th><th>remark</th><th></th></tr></thead>
      <tbody>${list.tasks.map((t) => html`<${TaskRow} key=${t.id} task=${t} onError=${setError} />`)}</tbody>
    </table>
    <${Pages} page=${page} last=${last} onPage=${setPage} />
  </section>`;
}
