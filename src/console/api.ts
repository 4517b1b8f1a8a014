const KEY = 'payments-console.api-key';

/** The admin API key, for this tab only (sessionStorage: gone when the tab closes, never shared with other tabs). */
export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key: string) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the API refuses the key (401), so the app can go back to the sign-in form. */
let onUnauthorized: () => void = () => {};
export const whenUnauthorized = (handler: () => void) => {
  onUnauthorized = handler;
};

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${session.key() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    parsed = undefined; // not JSON (a proxy's error page): the status says enough
  }
  if (!response.ok) {
    const problem = (parsed ?? {}) as { code?: string; detail?: string };
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, problem.code ?? 'error', problem.detail ?? `${response.status} ${response.statusText}`);
  }
  return parsed as T;
}
