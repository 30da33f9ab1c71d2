// Small pieces every view uses.

import { html } from "./vendor/htm-preact.js";
import { STATUS } from "./api.js";

export function StateBadge({ state }) {
  return html`<span class=${`badge state-${state}`}>${state}</span>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${`badge status-${STATUS[status]}`}>${STATUS[status]}</span>`;
}

/** Page links: previous, "page k of n", next. */
export function Pages({ page, last, onPage }) {
  if (last <= 1) return null;
  return html`<nav class="pages">
    <button type="button" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>‹ previous</button>
    <span>page ${page} of ${last}</span>
    <button type="button" disabled=${page >= last} onClick=${() => onPage(page + 1)}>next ›</button>
  </nav>`;
}

/** A list to choose from: `options` are [value, label] pairs. */
export function Choice({ label, value, onChange, options }) {
  return html`<select aria-label=${label} value=${value} onChange=${onChange}>
    ${options.map(([choice, text]) => html`<option value=${choice}>${text}</option>`)}
  </select>`;
}

/** What went wrong, or nothing. */
export function Problem({ error }) {
  return error ? html`<p class="problem" role="alert">${error.message || String(error)}</p>` : null;
}

/** `error` shown at the field named `name`, if it names that field. */
export function FieldError({ error, name }) {
  return error && error.field === name
    ? html`<span class="field-error" role="alert">${error.detail}</span>` : null;
}
