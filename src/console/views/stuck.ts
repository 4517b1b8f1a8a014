import { api, ApiError } from '../api.js';
import { emptyState, h, statusLine } from '../dom.js';
import type { StuckWork, ViewContext } from '../types.js';

/** Workflows waiting for an operator after their retries ran out, with retry and skip. */
export async function renderStuck(view: HTMLElement, context: ViewContext): Promise<void> {
  const { data } = await api<{ data: StuckWork[] }>('GET', '/v1/admin/attention');
  const status = statusLine();

  const decide = async (work: StuckWork, action: 'retry' | 'skip') => {
    status.textContent = `${action} ${work.workflow_id}…`;
    try {
      await api('POST', `/v1/admin/attention/${encodeURIComponent(work.workflow_id)}/${action}`, {});
      await renderStuck(view, context);
      const line = view.querySelector('[role="status"]')!;
      line.textContent = `${work.workflow_id}: ${action === 'retry' ? 'running the step again' : 'went on without the step'}.`;
      view.querySelector<HTMLElement>('h2')?.focus();
    } catch (error) {
      status.textContent = `${work.workflow_id}: ${action} refused: ${error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)}`;
    }
  };

  const rows = data.map((work) =>
    h(
      'tr',
      { 'data-workflow': work.workflow_id },
      h('td', {}, h('a', { href: context.workflowUrl(work.workflow_id), target: '_blank', rel: 'noopener' }, work.workflow_id)),
      h('td', {}, work.workflow_type),
      h('td', {}, work.reason),
      h('td', {}, work.activity ?? '–'),
      h('td', { class: 'error' }, work.error ?? '–'),
      h('td', {}, work.attempts === null ? '–' : String(work.attempts)),
      h(
        'td',
        {},
        h(
          'span',
          { class: 'actions' },
          h('button', { type: 'button', 'aria-label': `Retry ${work.workflow_id}`, onclick: () => void decide(work, 'retry') }, 'Retry'),
          work.skippable ? h('button', { type: 'button', 'aria-label': `Skip ${work.workflow_id}`, onclick: () => void decide(work, 'skip') }, 'Skip') : null,
        ),
      ),
    ),
  );

  view.replaceChildren(
    h('h2', { tabindex: '-1' }, 'Stuck work'),
    h('p', { class: 'hint' }, 'Workflows whose step ran out of retries wait here (NeedsAttention in Temporal) until you retry or skip the step.'),
    status,
    data.length === 0
      ? emptyState(
          'Nothing is stuck.',
          'When a step keeps failing past ACTIVITY_RETRY_MAX_ELAPSED its workflow appears here; fix the cause (Stripe, mail, the database), then Retry, or Skip where the workflow allows it.',
        )
      : h(
          'table',
          { 'data-testid': 'attention' },
          h('caption', {}, `${data.length} workflow(s) waiting; the id opens the workflow in the Temporal UI`),
          h('thead', {}, h('tr', {}, ...['Workflow', 'Type', 'Reason', 'Step', 'Last error', 'Attempts', 'Actions'].map((header) => h('th', { scope: 'col' }, header)))),
          h('tbody', {}, ...rows),
        ),
  );
}
