const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The console's one page: no inline script (the data attributes carry the Temporal UI base for workflow links). */
export function consolePage({ temporalUiUrl, namespace }: { temporalUiUrl: string; namespace: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payments console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/style.css">
<script type="module" src="/console/app.js"></script>
</head>
<body data-temporal-ui="${escapeAttribute(temporalUiUrl)}" data-namespace="${escapeAttribute(namespace)}">
<noscript>The console needs JavaScript.</noscript>
<div id="root"></div>
</body>
</html>
`;
}
