// Schedules: a request made again at set times of the week. List them with their next
// slot and what the last one made; add, edit, switch on and off, delete. A 40001 from
// the schedule's dry run shows at its field.

import { html, useEffect, useState } from "./vendor/htm-preact.js";
import { call } from "./api.js";
import { scriptNames, scriptSchemas } from "./create.js";
import { SchemaFields, bodyOf, shownOf, useOpenApi } from "./form.js";
import { FieldError, Problem } from "./parts.js";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const words = (text) => text.split(/[\s,]+/).filter(Boolean);

/** What a form shows of `schedule` (null: a new one). */
function filled(doc, schedule) {
  if (!schedule) {
    return { name: "", enabled: true, weekdays: [1, 2, 3, 4, 5, 6, 7], times: "", serials: "",
      groups: [], script: "follow", config: {}, timeout: "", rotate: false, touched: true };
  }
  return { name: schedule.name, enabled: schedule.enabled, weekdays: schedule.weekdays,
    times: schedule.times.join(", "), serials: schedule.serials.join(", "),
    groups: schedule.groups, script: schedule.script_name,
    config: shownOf(doc, scriptSchemas(doc)[schedule.script_name], schedule.script_config),
    timeout: schedule.timeout ?? "", rotate: schedule.rotate_proxy, touched: false };
}

function ScheduleForm({ doc, schedule, groups, onDone }) {
  const [form, setForm] = useState(() => filled(doc, schedule));
  const [error, setError] = useState(null);
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const toggled = (list, item, on) => (on ? [...list, item] : list.filter((x) => x !== item));
  const schema = scriptSchemas(doc)[form.script];
  async function save(e) {
    e.preventDefault();
    const body = {
      name: form.name, enabled: form.enabled, weekdays: form.weekdays,
      times: words(form.times), serials: words(form.serials), groups: form.groups,
      script_name: form.script, timeout: form.timeout === "" ? null : Number(form.timeout),
      rotate_proxy: form.rotate,
      // the config only once changed: an answer masks its secrets, which would be lost
      ...(form.touched ? { script_config: bodyOf(doc, schema, form.config, "script_config") } : {}),
    };
    try {
      if (schedule) await call("PUT", `/schedules/${schedule.id}`, body);
      else await call("POST", "/schedules", body);
      onDone();
    } catch (failure) {
      setError(failure);
    }
  }
  const field = (name, label, rest) => html`<div class="field" data-field=${name}>
    <label for=${`schedule-${name}`}>${label}</label>
    <input id=${`schedule-${name}`} value=${form[name]} onInput=${set(name)} ...${rest} />
    <${FieldError} error=${error} name=${name} /></div>`;
  return html`<form class="schedule-form" onSubmit=${save}>
    <h3>${schedule ? `Edit ${schedule.name}` : "New schedule"}</h3>
    ${field("name", "name", {})}
    <div class="row">
      ${field("times", "times (HH:MM, local)", { placeholder: "09:00, 18:30" })}
      ${field("timeout", "timeout (s)", { placeholder: "none" })}
    </div>
    <fieldset class="field phones-pick" data-field="weekdays"><legend>days</legend>
      ${DAYS.map((day, i) => html`<label key=${day}><input type="checkbox"
          checked=${form.weekdays.includes(i + 1)} onChange=${(e) => setForm({ ...form,
            weekdays: toggled(form.weekdays, i + 1, e.currentTarget.checked).sort() })} />${
          day}</label>`)}
      <${FieldError} error=${error} name="weekdays" />
    </fieldset>
    ${groups.length > 0 && html`<fieldset class="field phones-pick" data-field="groups"><legend>groups</legend>
      ${groups.map((g) => html`<label key=${g.id}><input type="checkbox"
          checked=${form.groups.includes(g.name)} onChange=${(e) => setForm({ ...form,
            groups: toggled(form.groups, g.name, e.currentTarget.checked) })} />${
          `${g.name} (${g.serials.length})`}</label>`)}
      <${FieldError} error=${error} name="groups" />
    </fieldset>`}
    ${field("serials", "and phones", { placeholder: "sim-0001, sim-0002" })}
    <div class="field" data-field="script_name">
      <label for="schedule-script">script</label>
      <select id="schedule-script" value=${form.script}
              onChange=${(e) => setForm({ ...form, script: e.currentTarget.value, config: {},
                touched: true })}>
        ${scriptNames(doc).map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
    </div>
    <fieldset class="config"><legend>${form.script}'s config</legend>
      <${SchemaFields} doc=${doc} schema=${schema} values=${form.config} error=${error}
                       prefix="script_config"
                       onChange=${(config) => setForm({ ...form, config, touched: true })} />
      <${FieldError} error=${error} name="script_config" />
    </fieldset>
    <p class="row">
      <label><input type="checkbox" checked=${form.enabled}
          onChange=${(e) => setForm({ ...form, enabled: e.currentTarget.checked })} /> on</label>
      <label><input type="checkbox" checked=${form.rotate}
          onChange=${(e) => setForm({ ...form, rotate: e.currentTarget.checked })} /> rotate each phone's proxy first</label>
    </p>
    <${Problem} error=${error && !error.field ? error : null} />
    <button type="submit" class="primary">Save</button>
    <button type="button" onClick=${onDone}>Cancel</button>
  </form>`;
}

export function Schedules() {
  const doc = useOpenApi();
  const [schedules, setSchedules] = useState([]);
  const [groups, setGroups] = useState([]);
  const [editing, setEditing] = useState(null); // null, "new" or a schedule
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    call("GET", "/schedules").then((data) => setSchedules(data.schedules), setError);
    call("GET", "/groups").then((data) => setGroups(data.groups), setError);
  }, [version]);
  const again = () => { setEditing(null); setVersion(version + 1); };
  const flip = (s) => call("PUT", `/schedules/${s.id}`, { enabled: !s.enabled }).then(again, setError);
  const remove = (s) => confirm(`Delete the schedule ${s.name}? Its tasks stay.`)
    && call("DELETE", `/schedules/${s.id}`).then(again, setError);
  if (!doc) return null;
  return html`<section class="schedules">
    <div class="toolbar">
      <button type="button" onClick=${() => setEditing("new")}>Add</button>
      <span class="muted">${schedules.length} schedule(s); times are the orchestrator's local time</span>
    </div>
    <${Problem} error=${error} />
    ${editing && html`<${ScheduleForm} key=${editing.id || "new"} doc=${doc} groups=${groups}
                        schedule=${editing === "new" ? null : editing} onDone=${again} />`}
    <table class="grid">
      <thead><tr><th>name</th><th>days</th><th>times</th><th>phones</th><th>script</th>
        <th>next</th><th>last</th><th></th></tr></thead>
      <tbody>${schedules.map((s) => html`<tr key=${s.id} data-schedule=${s.id}>
        <td>${s.name}</td><td>${s.weekdays.map((d) => DAYS[d - 1]).join(" ")}</td>
        <td>${s.times.join(" ")}</td><td>${[...s.groups, ...s.serials].join(", ")}</td>
        <td>${s.script_name}</td><td>${s.next_run_at || "off"}</td>
        <td title=${s.last_outcome}>${s.last_run_at ? `${s.last_run_at}: ${s.last_outcome}` : ""}</td>
        <td class="actions">
          <button type="button" onClick=${() => flip(s)}>${s.enabled ? "Switch off" : "Switch on"}</button>
          <button type="button" onClick=${() => setEditing(s)}>Edit</button>
          <button type="button" class="danger" onClick=${() => remove(s)}>Delete</button></td>
      </tr>`)}</tbody>
    </table>
  </section>`;
}
