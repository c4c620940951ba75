// The API client: every call goes to this origin under /v1 with the signed-in officer's bearer token. A
// refusal becomes an ApiProblem carrying the problem+json's title and detail (never a raw body);
// a 401 means the token expired or was revoked, and the console returns to sign-in.

export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  [extension: string]: unknown;
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly code: string;
  readonly body: ProblemBody;

  constructor(status: number, body: ProblemBody) {
    const title = typeof body.title === 'string' && body.title ? body.title : `The server refused the request (${status})`;
    const detail = typeof body.detail === 'string' ? body.detail : '';
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = typeof body.code === 'string' ? body.code : '';
    this.body = body;
  }
}

/** A page of a list, as every list endpoint answers. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export class Api {
  /** Called once when the server answers 401: the token expired or was revoked. */
  onUnauthorized: (problem: ApiProblem) => void = () => {};

  constructor(readonly token: string, readonly base: string = '') {}

  headers(extra?: Record<string, string>): Record<string, string> {
    return { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...extra };
  }

  async request(method: string, path: string, body?: unknown, extra?: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers: this.headers(body === undefined ? extra : { 'Content-Type': 'application/json', ...extra }),
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') {
        throw e;
      }
      throw new ApiProblem(0, { title: 'The server cannot be reached', detail: 'Check the connection; nothing was sent.' });
    }
    if (!response.ok) {
      const problem = new ApiProblem(response.status, await readProblem(response));
      if (response.status === 401) {
        this.onUnauthorized(problem);
      }
      throw problem;
    }
    return response;
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return (await (await this.request('GET', path, undefined, undefined, signal)).json()) as T;
  }

  async text(path: string, signal?: AbortSignal): Promise<string> {
    return await (await this.request('GET', path, undefined, { Accept: 'text/plain' }, signal)).text();
  }

  async post<T>(path: string, body: unknown = {}, extra?: Record<string, string>): Promise<T> {
    const response = await this.request('POST', path, body, extra);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  async put<T>(path: string, body: unknown, version: number): Promise<T> {
    return (await (await this.request('PUT', path, body, { 'If-Match': `"${version}"` })).json()) as T;
  }

  async delete<T>(path: string, version: number): Promise<T> {
    return (await (await this.request('DELETE', path, undefined, { 'If-Match': `"${version}"` })).json()) as T;
  }

  /** Every item of a list, following next_cursor (at most `max` items). */
  async all<T>(path: string, max = 100_000): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page: Page<T> = await this.get<Page<T>>(`${path}${sep}limit=10000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < max);
    return items;
  }
}

async function readProblem(response: Response): Promise<ProblemBody> {
  try {
    const body: unknown = await response.json();
    if (body && typeof body === 'object') {
      return body as ProblemBody;
    }
  } catch {
    // Not JSON: the title says what happened without showing the body.
  }
  return { title: `The server refused the request (${response.status} ${response.statusText})`.trim() };
}
