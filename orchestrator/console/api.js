// The API as the console speaks it: every answer is the envelope; a refusal is an
// ApiError that names its code and, for a 40001, the field at fault.

export const API = "/api/v1";
const UNAUTHORIZED = 40101;

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    // "$.script_config.target_users: required: ..." names the field at fault; an item
    // of a list ("$.serials[1]: ...") is shown at its list
    const path = /^\$\.([\w.[\]]+):\s*/.exec(message);
    this.field = path ? path[1].replace(/\[\d+\]/g, "") : null;
    this.detail = path ? message.slice(path[0].length) : message;
  }
}

/** `data` of the answer to `method path` (a JSON body, text of `type` or FormData), with
 * `headers` besides. */
export async function call(method, path, body, { type, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (type) {
    init.body = body;
    init.headers["content-type"] = type;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  const answer = await fetch(API + path, init);
  let envelope;
  try {
    envelope = await answer.json();
  } catch {
    throw new ApiError(answer.status, `HTTP ${answer.status} without an answer`);
  }
  if (envelope.code === UNAUTHORIZED) location.assign("/"); // the token is asked for there
  if (envelope.code !== 0) throw new ApiError(envelope.code, envelope.message);
  return envelope.data;
}

/** `path` with the query `params` whose values are not empty. */
export function query(path, params) {
  const kept = Object.entries(params).filter(([, v]) => v !== "" && v != null);
  return kept.length ? `${path}?${new URLSearchParams(kept)}` : path;
}

export const STATUS = ["pending", "running", "completed", "failed"];
