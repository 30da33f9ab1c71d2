// Forms made from the OpenAPI document's schemas: the fields a script's config (or an
// account) has, each with the widget its type asks for, and the API's 40001 at the field.

import { html, useEffect, useState } from "./vendor/htm-preact.js";
import { ApiError } from "./api.js";
import { FieldError } from "./parts.js";

let documentAsked = null;
/** The OpenAPI document, read once. */
export function useOpenApi() {
  const [doc, setDoc] = useState(null);
  useEffect(() => {
    documentAsked ??= fetch("/api/v1/openapi.json").then((answer) => {
      if (!answer.ok) throw new Error(`the OpenAPI document: HTTP ${answer.status}`);
      return answer.json();
    });
    documentAsked.then(setDoc, () => { documentAsked = null; }); // asked again next time
  }, []);
  return doc;
}

/** The schema `schema` names: itself, or what its `$ref` points at in `doc`. */
export function resolved(doc, schema) {
  return schema && schema.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema;
}

/** A property's schema without its "or null" (an optional field), and whether it had one. */
function unwrapped(doc, schema) {
  const choices = schema.anyOf ? schema.anyOf.filter((s) => s.type !== "null") : [schema];
  return resolved(doc, choices.length === 1 ? choices[0] : { type: "json" });
}

/** The widget kind of a property schema. */
function kindOf(schema) {
  if (schema.enum) return "enum";
  if (schema.type === "array" && schema.items && schema.items.type === "string") return "lines";
  if (schema.type === "object" && schema.properties) return "object";
  if (["string", "integer", "number", "boolean"].includes(schema.type)) return schema.type;
  return "json";
}

/** A field's name under `prefix`, as the API's 40001 names it. */
const pathOf = (prefix, name) => (prefix ? `${prefix}.${name}` : name);

/** `text` of the widget `kind` of `schema` at `path` as the value the API takes ("":
 * left out). */
function parsed(kind, schema, text, path) {
  if (text === "" || text == null) return "";
  switch (kind) {
    case "integer": case "number": return Number(text);
    case "enum": return schema.enum.find((value) => String(value) === text) ?? text;
    case "lines": return text.split("\n").map((s) => s.trim()).filter(Boolean);
    case "json":
      try {
        return JSON.parse(text);
      } catch {
        throw new ApiError(40001, `$.${path}: not JSON`);
      }
    default: return text;
  }
}

/** The values of a form (property name -> widget text) as a body: empty ones left out,
 * or, `clearing` (an edit: what is left out stays as it was), sent as their default (but
 * a secret's, never shown, so never cleared). Throws an ApiError naming the field whose
 * text is not what it must be. */
export function bodyOf(doc, schema, values, prefix = "", { clearing = false } = {}) {
  const body = {};
  for (const [name, property] of Object.entries(schema.properties || {})) {
    const inner = unwrapped(doc, property);
    const kind = kindOf(inner);
    const path = pathOf(prefix, name);
    const value = kind === "object" ? bodyOf(doc, inner, values[name] || {}, path, { clearing })
      : kind === "boolean" ? values[name]
      : parsed(kind, inner, values[name], path);
    const empty = value === "" || value === undefined
      || (kind === "object" && Object.keys(value).length === 0);
    if (!empty) body[name] = value;
    else if (clearing && !property.writeOnly && "default" in property) body[name] = property.default;
  }
  return body;
}

/** The paths of every field the form of `schema` shows, under `prefix`. */
export function fieldPaths(doc, schema, prefix = "") {
  return Object.entries(schema.properties || {}).flatMap(([name, property]) => {
    const inner = unwrapped(doc, property);
    const path = pathOf(prefix, name);
    return kindOf(inner) === "object" ? fieldPaths(doc, inner, path) : [path];
  });
}

/** A property's value as its widget shows it. */
export function shownOf(doc, schema, body) {
  const values = {};
  for (const [name, property] of Object.entries(schema.properties || {})) {
    const inner = unwrapped(doc, property);
    const kind = kindOf(inner);
    const value = body[name];
    if (value == null) continue;
    values[name] = kind === "object" ? shownOf(doc, inner, value)
      : kind === "lines" ? value.join("\n")
      : kind === "json" ? JSON.stringify(value)
      : kind === "boolean" ? value : String(value);
  }
  return values;
}

/** The `<input>` type of a field of `kind`: a secret's (`format: password`) is hidden. */
function inputType(kind, schema) {
  if (kind !== "string") return "number";
  return schema.format === "password" ? "password" : "text";
}

function Widget({ doc, name, schema, value, onChange, error, path }) {
  const inner = unwrapped(doc, schema);
  const kind = kindOf(inner);
  const id = `field-${path}`;
  const set = (e) => onChange(name, e.currentTarget.type === "checkbox"
    ? e.currentTarget.checked : e.currentTarget.value);
  const hint = inner.default != null && kind !== "object" ? `default ${JSON.stringify(inner.default)}` : "";
  let widget;
  switch (kind) {
    case "object":
      return html`<fieldset class="nested"><legend>${name}</legend>
        <${SchemaFields} doc=${doc} schema=${inner} values=${value || {}} error=${error}
          prefix=${path} onChange=${(values) => onChange(name, values)} /></fieldset>`;
    case "boolean":
      widget = html`<input id=${id} type="checkbox" checked=${Boolean(value ?? inner.default)}
                           onChange=${set} />`;
      break;
    case "enum":
      widget = html`<select id=${id} value=${value ?? ""} onChange=${set}>
        <option value="">${hint || "(none)"}</option>
        ${inner.enum.map((v) => html`<option value=${v}>${v}</option>`)}</select>`;
      break;
    case "lines":
      widget = html`<textarea id=${id} rows="3" placeholder="one a line"
                              value=${value ?? ""} onInput=${set} />`;
      break;
    case "json":
      widget = html`<textarea id=${id} rows="2" placeholder="JSON" value=${value ?? ""}
                              onInput=${set} />`;
      break;
    default:
      widget = html`<input id=${id} type=${inputType(kind, schema)} placeholder=${hint}
                           value=${value ?? ""} onInput=${set} />`;
  }
  return html`<div class=${`field ${error && error.field === path ? "has-error" : ""}`}
                   data-field=${path}>
    <label for=${id}>${name}</label>${widget}
    <${FieldError} error=${error} name=${path} />
  </div>`;
}

/** The fields of `schema`; `values` maps each name to its widget's text. */
export function SchemaFields({ doc, schema, values, onChange, error, prefix }) {
  return html`${Object.entries(schema.properties || {}).map(([name, property]) =>
    html`<${Widget} key=${name} doc=${doc} name=${name} schema=${property}
      value=${values[name]} error=${error} path=${pathOf(prefix, name)}
      onChange=${(field, value) => onChange({ ...values, [field]: value })} />`)}`;
}
