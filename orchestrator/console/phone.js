// One phone, big: its screen live at several frames a second; a click is a tap there, a
// drag a swipe, typing sends text, and the keys; sync control sends the same input to the
// ticked phones too.

import { html, useRef, useState } from "./vendor/htm-preact.js";
import { call } from "./api.js";
import { usePhones, useTicked } from "./farm.js";
import { Problem, StateBadge } from "./parts.js";
import { Screen } from "./screen.js";

/** The big screen is read again this long after the last read ends. */
const BIG_EVERY_MS = 100;
/** A press that moves less than this many screen pixels is a tap, not a swipe. */
const TAP_SLOP = 12;
const KEYS = ["back", "home", "recents", "enter"];

/** The point of the phone's real screen under the pointer event `e` on the image, whose
 * picture, `width` by `height` (the last one loaded: the next may be loading, its size
 * not known yet), is drawn whole and centred in its box (`object-fit: contain`). */
function phonePoint(e, [width, height]) {
  const box = e.currentTarget.getBoundingClientRect();
  const shown = Math.min(box.width / width, box.height / height);
  const left = box.left + (box.width - width * shown) / 2;
  const top = box.top + (box.height - height * shown) / 2;
  const clamp = (value, most) => Math.min(most - 1, Math.max(0, Math.round(value)));
  return [clamp((e.clientX - left) / shown, width), clamp((e.clientY - top) / shown, height)];
}

/** What an input's answer says, in words. */
function said({ sent, failed }) {
  const to = `Sent to ${sent.length} ${sent.length === 1 ? "phone" : "phones"}`;
  const not = failed.map((f) => `${f.serial} (${f.reason})`).join(", ");
  return failed.length ? `${to}; failed on ${not}.` : `${to}.`;
}

export function PhoneView({ serial }) {
  const phones = usePhones();
  const [ticked, tick] = useTicked();
  const [text, setText] = useState("");
  const [outcome, setOutcome] = useState(null);
  const [error, setError] = useState(null);
  const press = useRef(null);
  const picture = useRef(null); // [width, height] of the last screen loaded
  const phone = phones.find((p) => p.serial === serial);
  const others = [...ticked].filter((s) => s !== serial);

  async function send(input) {
    setError(null);
    try {
      const answer = others.length
        ? await call("POST", "/devices/input", { ...input, serials: [serial, ...others] })
        : await call("POST", `/devices/${encodeURIComponent(serial)}/input`, input);
      setOutcome(answer);
    } catch (e) {
      setError(e);
    }
  }

  function loaded(e) {
    picture.current = [e.currentTarget.naturalWidth, e.currentTarget.naturalHeight];
  }

  /** The size of the screen shown: the last loaded, or the image's own (before its
   * `load` event has come); null while none has been shown. */
  function shownSize(image) {
    if (picture.current) return picture.current;
    return image.naturalWidth ? [image.naturalWidth, image.naturalHeight] : null;
  }

  function down(e) {
    e.preventDefault();
    const size = shownSize(e.currentTarget);
    if (!size) return; // no screen shown yet: nothing to point at
    e.currentTarget.setPointerCapture(e.pointerId); // a drag off the image still ends here
    press.current = { at: phonePoint(e, size), size, time: performance.now() };
  }

  function up(e) {
    if (!press.current) return;
    const [x1, y1] = press.current.at;
    const [x2, y2] = phonePoint(e, shownSize(e.currentTarget) ?? press.current.size);
    const held = performance.now() - press.current.time;
    press.current = null;
    if (Math.hypot(x2 - x1, y2 - y1) < TAP_SLOP) {
      send({ action: "tap", x: x1, y: y1 });
    } else {
      send({ action: "swipe", x1, y1, x2, y2,
             duration_ms: Math.min(5000, Math.max(50, Math.round(held))) });
    }
  }

  function typed(e) {
    e.preventDefault();
    if (!text) return;
    send({ action: "text", text });
    setText("");
  }

  return html`<section class="phone-view">
    <div class="big-screen">
      ${phone && phone.state !== "device"
        ? html`<div class="screen"><p class="screen-error">${serial} is ${phone.state}</p></div>`
        : html`<${Screen} serial=${serial} every=${BIG_EVERY_MS} class="touch"
                          onLoad=${loaded} onPointerDown=${down} onPointerUp=${up} />`}
    </div>
    <aside>
      <h2>${serial} ${phone && html`<${StateBadge} state=${phone.state} />`}</h2>
      <p class="muted">${phone ? `${phone.model} · on ${phone.host}` : "not seen by any host"}${
        phone && phone.current_task_id != null && html` · running <a
          href=${`#/task/${phone.current_task_id}`}>task ${phone.current_task_id}</a>`}</p>
      <p class="hint">Click the screen to tap, drag to swipe.</p>
      <div class="keys">
        ${KEYS.map((key) => html`<button type="button"
          onClick=${() => send({ action: "key", key })}>${key}</button>`)}
      </div>
      <form class="typing" onSubmit=${typed}>
        <input aria-label="Text to type" placeholder="text to type on the phone"
               value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
        <button type="submit">Type</button>
      </form>
      <${Problem} error=${error} />
      ${outcome && html`<p class="outcome">${said(outcome)}</p>`}
      <fieldset class="sync">
        <legend>Sync control: the same input also goes to</legend>
        ${phones.filter((p) => p.serial !== serial).map((p) => html`<label key=${p.serial}>
          <input type="checkbox" checked=${ticked.has(p.serial)}
                 onChange=${(e) => tick(p.serial, e.currentTarget.checked)} />
          ${p.serial}</label>`)}
      </fieldset>
    </aside>
  </section>`;
}
