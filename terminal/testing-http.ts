/** What a JSON route answered, for tests: the status and the parsed body (null when empty). */
export interface JsonReply {
  status: number;
  json: any;
}

/**
 * A caller of JSON routes for tests: `base` and `token` are read at each call (servers are started
 * after the caller is made); the path is appended to the base as it is.
 */
export function jsonCaller(base: () => string, token: () => string | undefined): (method: string, path: string, body?: unknown) => Promise<JsonReply> {
  return async (method, path, body) => {
    const headers: Record<string, string> = {};
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base().replace(/\/$/, '')}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
}
