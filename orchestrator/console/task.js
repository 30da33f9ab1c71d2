// One task: what it is, live; its config, remark, the steps its script took, and the
// screen when it failed.

import { html, useEffect, useState } from "./vendor/htm-preact.js";
import { API, call } from "./api.js";
import { useFarmEvents } from "./farm.js";
import { Problem, StatusBadge } from "./parts.js";
import { TaskActions } from "./tasks.js";

const RUNNING = 1;
/** How often a running task's steps are read again, in milliseconds. */
const STEPS_EVERY_MS = 2000;

export function TaskPage({ id }) {
  const [task, setTask] = useState(null);
  const [log, setLog] = useState([]);
  const [error, setError] = useState(null);
  const [gone, setGone] = useState(false);

  useEffect(() => {
    call("GET", `/task/${id}`).then(setTask, setError);
  }, [id]);
  // the log is read again when the task changes (a run's steps are stored with its end)
  // and, while it runs, every few seconds: its steps so far
  useEffect(() => {
    if (!task) return undefined;
    let current = true;
    const read = () => call("GET", `/task/${id}/log`)
      .then((data) => current && setLog(data.lines), setError);
    read();
    const again = task.status === RUNNING ? setInterval(read, STEPS_EVERY_MS) : null;
    return () => { current = false; clearInterval(again); };
  }, [task && task.status, task && task.retry_count]);
  useFarmEvents((kind, data) => {
    if (kind === "task" && data.id === id) setTask(data);
    if (kind === "task_deleted" && data.id === id) setGone(true);
  }, [id]);

  if (gone) return html`<p class="empty">Task ${id} was deleted. <a href="#/tasks">All tasks</a></p>`;
  if (!task) return html`<${Problem} error=${error} />`;
  return html`<section class="task-page">
    <h2>Task ${task.id} <${StatusBadge} status=${task.status} /></h2>
    <${TaskActions} task=${task} onError=${setError} />
    <${Problem} error=${error} />
    <dl class="facts">
      <dt>script</dt><dd>${task.script_name}</dd>
      <dt>phone</dt><dd><a href=${`#/phone/${encodeURIComponent(task.serial)}`}>${task.serial}</a></dd>
      <dt>account</dt><dd>${task.username || "—"}</dd>
      <dt>start</dt><dd>${task.start_time}</dd>
      <dt>end</dt><dd>${task.end_time || "—"}</dd>
      <dt>retries</dt><dd>${task.retry_count}</dd>
      <dt>source</dt><dd>${task.source}</dd>
      <dt>created</dt><dd>${task.created_at}</dd>
      <dt>remark</dt><dd class="remark">${task.remark || "—"}</dd>
    </dl>
    <h3>Config</h3>
    <pre class="config">${JSON.stringify(task.script_config, null, 2)}</pre>
    <h3>Steps</h3>
    ${log.length === 0 ? html`<p class="muted">No step yet.</p>` : html`<ol class="log">
      ${log.map((line) => html`<li class=${`level-${line.level.toLowerCase()}`}>
        <time>${line.at}</time> ${line.message}</li>`)}</ol>`}
    ${task.status === 3 && html`<h3>The screen when it failed</h3>
      <${FailureShot} key=${task.retry_count} id=${task.id} />`}
  </section>`;
}

function FailureShot({ id }) {
  const [missing, setMissing] = useState(false);
  return missing ? html`<p class="muted">No screenshot was taken.</p>`
    : html`<img class="failure-shot" alt=${`the screen when task ${id} failed`}
                src=${`${API}/task/${id}/screenshot`}
                onError=${() => setMissing(true)} />`;
}
