// New tasks: which phones (or accounts), when, and the script's config, whose fields
// come from the script's schema in the OpenAPI document. A 40001 shows at its field.

import { html, useEffect, useMemo, useState } from "./vendor/htm-preact.js";
import { call } from "./api.js";
import { usePhones } from "./farm.js";
import { SchemaFields, bodyOf, fieldPaths, useOpenApi } from "./form.js";
import { FieldError, Problem } from "./parts.js";

/** The config schema of each script: `FollowConfig` is `follow`'s. */
export function scriptSchemas(doc) {
  const schemas = {};
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    if (!name.endsWith("Config")) continue;
    const script = name.slice(0, -"Config".length).replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase();
    schemas[script] = schema;
  }
  return schemas;
}

/** The scripts `POST /task` takes, from the document. */
export function scriptNames(doc) {
  const body = doc.paths["/api/v1/task"].post.requestBody.content["application/json"].schema;
  return body.properties.script_name.enum;
}

/** The fields of the form besides the config's. */
const OWN_FIELDS = ["script_name", "serials", "groups", "usernames", "start_time",
  "min_interval", "max_interval", "timeout", "rotate_proxy"];

/** Those of them that are numbers (sent when filled in). */
const NUMBERS = ["min_interval", "max_interval", "timeout"];

export function CreateTasks() {
  const doc = useOpenApi();
  const phones = usePhones();
  const [script, setScript] = useState("follow");
  const [serials, setSerials] = useState([]);
  const [groups, setGroups] = useState([]); // every group, to choose from
  const [chosen, setChosen] = useState([]); // the names of those chosen
  const [usernames, setUsernames] = useState("");
  const [rotate, setRotate] = useState(false);
  const [when, setWhen] = useState({ start_time: "", min_interval: "", max_interval: "",
    timeout: "" });
  const [config, setConfig] = useState({});
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null);
  useEffect(() => { call("GET", "/groups").then((data) => setGroups(data.groups), setError); }, []);
  // one key per filling of the form: a second click on Create (or a retry after a lost
  // answer) gets the first answer again and creates nothing more (`Idempotency-Key`)
  const key = useMemo(() => `console-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    [script, serials, chosen, usernames, when, config, rotate]);
  if (!doc) return html`<p class="muted">Reading the scripts…</p>`;
  const schema = scriptSchemas(doc)[script];
  const atAField = error && [...OWN_FIELDS, "script_config",
    ...fieldPaths(doc, schema, "script_config")].includes(error.field);

  async function submit(e) {
    e.preventDefault();
    setError(null);
    setCreated(null);
    try {
      const names = usernames.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
      const body = {
        script_name: script,
        script_config: bodyOf(doc, schema, config, "script_config"),
        ...(serials.length ? { serials } : {}),
        ...(chosen.length ? { groups: chosen } : {}),
        ...(names.length ? { usernames: names } : {}),
        ...(when.start_time ? { start_time: when.start_time } : {}),
        ...Object.fromEntries(NUMBERS.filter((n) => when[n]).map((n) => [n, Number(when[n])])),
        ...(rotate ? { rotate_proxy: true } : {}),
      };
      setCreated(await call("POST", "/task", body, { headers: { "Idempotency-Key": key } }));
    } catch (failure) {
      setError(failure);
    }
  }

  const toggle = (list, set, item, on) => set(on ? [...list, item]
    : list.filter((s) => s !== item));
  const whenField = (name, label, placeholder) => html`<div class="field" data-field=${name}>
    <label for=${`when-${name}`}>${label}</label>
    <input id=${`when-${name}`} placeholder=${placeholder} value=${when[name]}
           onInput=${(e) => setWhen({ ...when, [name]: e.currentTarget.value })} />
    <${FieldError} error=${error} name=${name} /></div>`;
  return html`<form class="create" onSubmit=${submit}>
    <h2>New tasks</h2>
    <div class="field" data-field="script_name">
      <label for="script">script</label>
      <select id="script" value=${script}
              onChange=${(e) => { setScript(e.currentTarget.value); setConfig({}); setError(null); }}>
        ${scriptNames(doc).map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <${FieldError} error=${error} name="script_name" />
    </div>
    <fieldset class="field phones-pick" data-field="serials">
      <legend>phones (${serials.length} of ${phones.length})
        <button type="button" onClick=${() => setSerials(phones.map((p) => p.serial))}>all</button>
        <button type="button" onClick=${() => setSerials([])}>none</button></legend>
      ${phones.map((p) => html`<label key=${p.serial}><input type="checkbox"
          checked=${serials.includes(p.serial)}
          onChange=${(e) => toggle(serials, setSerials, p.serial, e.currentTarget.checked)} />${
          p.serial}</label>`)}
      <${FieldError} error=${error} name="serials" />
    </fieldset>
    ${groups.length > 0 && html`<fieldset class="field phones-pick" data-field="groups">
      <legend>and groups</legend>
      ${groups.map((g) => html`<label key=${g.id} title=${g.description}><input type="checkbox"
          checked=${chosen.includes(g.name)}
          onChange=${(e) => toggle(chosen, setChosen, g.name, e.currentTarget.checked)} />${
          `${g.name} (${g.serials.length})`}</label>`)}
      <${FieldError} error=${error} name="groups" />
    </fieldset>`}
    <div class="field" data-field="usernames">
      <label for="usernames">or accounts</label>
      <textarea id="usernames" rows="2" placeholder="one a line: each account's phone runs it"
                value=${usernames} onInput=${(e) => setUsernames(e.currentTarget.value)} />
      <${FieldError} error=${error} name="usernames" />
    </div>
    <div class="row">
      ${whenField("start_time", "start at (HH:MM, today)", "now")}
      ${whenField("min_interval", "min interval (min)", "0")}
      ${whenField("max_interval", "max interval (min)", "0")}
      ${whenField("timeout", "timeout (s)", "none")}
    </div>
    <p class="row" data-field="rotate_proxy">
      <label><input type="checkbox" checked=${rotate}
          onChange=${(e) => setRotate(e.currentTarget.checked)} /> rotate each phone's proxy first</label>
      <${FieldError} error=${error} name="rotate_proxy" />
    </p>
    <fieldset class="config"><legend>${script}'s config</legend>
      <p class="muted">${schema.description}</p>
      <${SchemaFields} doc=${doc} schema=${schema} values=${config} error=${error}
                       prefix="script_config" onChange=${setConfig} />
      <${FieldError} error=${error} name="script_config" />
    </fieldset>
    ${!atAField && html`<${Problem} error=${error} />`}
    ${created && html`<p class="outcome" role="status">${`Created ${created.created_count} task(s):`}${
      created.task_ids.map((id) => html` <a href=${`#/task/${id}`}>${id}</a>`)}.</p>`}
    <button type="submit" class="primary">Create</button>
  </form>`;
}
