/**
 * The page's only door to the server: fetch JSON, turn HTTP errors into ApiError.
 *
 * A 422 is an expected answer (the program has a mistake), so nothing here logs it;
 * callers show err.message (and err.line / err.col) next to the editor.
 */

export class ApiError extends Error {
  /**
   * @param {number} status  HTTP status, 0 when the server did not answer
   * @param {Array|string|null} detail  FastAPI's detail (a list of {type, msg, loc, ...})
   * @param {string} message  words a student can read
   */
  constructor(status, detail, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    const first = Array.isArray(detail) ? detail[0] || {} : {};
    this.line = Number.isInteger(first.line) ? first.line : null;
    this.col = Number.isInteger(first.col) ? first.col : null;
    this.kind = first.type || null;
  }
}

/** Words for a FastAPI detail: the engine's message, or pydantic's field and message. */
function detailMessage(detail, status) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail.map((d) => {
      const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body").join(".") : "";
      const msg = d.msg || String(d.type || "error");
      return loc && !/^line \d+/.test(msg) && d.line == null ? `${loc}: ${msg}` : msg;
    }).join("\n");
  }
  return `the server answered with status ${status}`;
}

async function request(path, options) {
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(0, null, "the server did not answer (is it running?)");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = body && "detail" in body ? body.detail : null;
    throw new ApiError(response.status, detail, detailMessage(detail, response.status));
  }
  return body;
}

/** POST a JSON body; resolves to the parsed answer or throws ApiError. */
export function postJSON(path, body) {
  return request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** GET a JSON document; resolves to the parsed answer or throws ApiError. */
export function getJSON(path) {
  return request(path, { headers: { Accept: "application/json" } });
}
