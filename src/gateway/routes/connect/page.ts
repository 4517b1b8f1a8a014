import type { Response } from 'express';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** The title of the page for each code the callback can answer with. */
export const ERROR_TITLES: Record<string, string> = {
  access_denied: 'Connection declined',
  invalid_state: 'Invalid connection link',
  state_expired: 'Connection link expired',
  state_reused: 'Connection link already used',
  redirect_mismatch: 'Redirect URI mismatch',
  oauth_exchange_failed: 'Stripe did not confirm the connection',
  oauth_error: 'Stripe reported an error',
  account_already_connected: 'Account already connected elsewhere',
  connect_not_configured: 'Stripe Connect is not configured',
};

/** The page the admin's browser lands on after Stripe: readable, and machine-readable through data-code / meta. */
export function resultPage(res: Response, status: number, code: string, title: string, detail: string): void {
  const c = escapeHtml(code);
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta name="connect-result" content="${c}">
<title>${escapeHtml(title)}</title>
</head>
<body data-code="${c}">
<main>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(detail)}</p>
<p>Result code: <code id="result-code">${c}</code></p>
</main>
</body>
</html>
`,
    );
}
