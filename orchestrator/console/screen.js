// A phone's live screen: read again a moment after each read ends, one read in flight
// per screen, and none while the screen is off the page or the page is hidden.

import { html, useEffect, useRef, useState } from "./vendor/htm-preact.js";
import { API, query } from "./api.js";

/** Whether the element of `ref` is in view and the page is visible. */
export function useOnScreen(ref) {
  const [inView, setInView] = useState(false);
  const [pageShown, setPageShown] = useState(document.visibilityState === "visible");
  useEffect(() => {
    const observer = new IntersectionObserver(([entry]) => setInView(entry.isIntersecting));
    observer.observe(ref.current);
    const shown = () => setPageShown(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", shown);
    return () => {
      observer.disconnect();
      document.removeEventListener("visibilitychange", shown);
    };
  }, []);
  return inView && pageShown;
}

const pause = (ms, signal) => new Promise((done) => {
  const timer = setTimeout(done, ms);
  signal.addEventListener("abort", () => { clearTimeout(timer); done(); });
});

/** The screen of `serial` (a JPEG `maxWidth` wide, or full size), read every `every` ms. */
export function Screen({ serial, maxWidth, every, ...rest }) {
  const box = useRef(null);
  const live = useOnScreen(box);
  const [src, setSrc] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!live) return undefined;
    const stop = new AbortController();
    let shown = null;
    const path = query(`${API}/devices/${encodeURIComponent(serial)}/screenshot`,
      { format: "jpeg", max_width: maxWidth });
    (async () => {
      while (!stop.signal.aborted) {
        try {
          const answer = await fetch(path, { signal: stop.signal, cache: "no-store" });
          if (answer.ok) {
            const picture = await answer.blob();
            if (stop.signal.aborted) break; // gone meanwhile: no URL left unrevoked
            const next = URL.createObjectURL(picture);
            setSrc(next);
            setError(null);
            if (shown) URL.revokeObjectURL(shown);
            shown = next;
          } else {
            setError((await answer.json()).message);
          }
        } catch (e) {
          if (stop.signal.aborted) break;
          setError(String(e.message || e));
        }
        await pause(every, stop.signal);
      }
    })();
    return () => {
      stop.abort();
      if (shown) URL.revokeObjectURL(shown);
    };
  }, [serial, live, maxWidth, every]);
  return html`<div class="screen" ref=${box}>
    ${src && html`<img src=${src} alt=${`screen of ${serial}`} draggable="false" ...${rest} />`}
    ${error && html`<p class="screen-error">${error}</p>`}
  </div>`;
}
