// The record panel: the latest head this browser verified (size, root, time, the service's
// signature, the witnesses' cosignatures), the last consistency check, the checkpoint remembered
// for this server and party, and a form to check any entry's inclusion by its index.

import type { ConsoleContext } from '../context';
import { clearProblem, h, replace, utc } from '../dom';
import { hash, proofView } from '../record/proofView';
import { exposeTestHook } from '../record/testHook';
import { recordState, type RecordState, startRecordCheck } from '../record/verifier';
import '../record/record.css';

export function mountRecord(ctx: ConsoleContext): void {
  const panel = document.getElementById('panel-record')!;
  const summary = h('div', { id: 'record-summary', class: 'record-summary' });
  const index = h('input', { id: 'record-entry-index', type: 'number', min: 0, step: 1, inputmode: 'numeric', required: true });
  const problem = h('p', { class: 'problem', hidden: true });
  const result = h('div', { id: 'record-entry-result' });
  const form = h(
    'form',
    { class: 'record-check-entry' },
    h('label', { for: 'record-entry-index' }, 'Entry index'),
    index,
    h('button', { type: 'submit' }, 'Check its inclusion'),
    problem,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = Number(index.value);
    if (!Number.isSafeInteger(value) || value < 0) {
      replace(problem, h('strong', {}, 'Not an entry index'), ' Give a whole number from 0.');
      problem.hidden = false;
      return;
    }
    clearProblem(problem);
    replace(result, proofView(ctx, value));
  });
  replace(panel, h('h2', {}, 'What you see is what was recorded'), summary, h('h3', {}, 'Check an entry'), form, result);

  recordState.on((state) => render(ctx, summary, state));
  ctx.live.on('parties', () => render(ctx, summary, recordState.value));
  render(ctx, summary, recordState.value);
  exposeTestHook();
  startRecordCheck(ctx);
}

function render(ctx: ConsoleContext, summary: HTMLElement, state: RecordState): void {
  const head = state.head;
  const signature = state.failure
    ? h('span', { id: 'record-signature', class: 'record-failed', 'data-state': 'failed' }, '✗ Check failed: ', state.failure)
    : head && state.key
      ? h('span', { id: 'record-signature', class: 'record-ok', 'data-state': 'verified' }, `✓ Verified with ${state.key.name} (key ${state.key.keyId})`)
      : h('span', { id: 'record-signature', 'data-state': 'pending' }, state.checking ? '… Checking' : '○ Not verified yet');
  const consistency = state.consistency
    ? state.consistency.first
      ? `First checkpoint this browser has seen of this server: ${state.consistency.to} entries, kept to check the next against.`
      : `From ${state.consistency.from} to ${state.consistency.to} entries: consistent ✓ (${utc(state.consistency.at)})`
    : 'Not checked yet';
  const witnesses = [...state.witnesses.values()].sort((a, b) => a.party.localeCompare(b.party));
  const remembered = state.remembered;
  replace(
    summary,
    state.problem ? h('p', { class: 'record-problem', role: 'status' }, h('strong', {}, '▲ Could not reach the record: '), state.problem, ' (not a failed check; the next head tries again)') : null,
    h(
      'dl',
      { class: 'record-head' },
      h('dt', {}, 'Verified head'),
      h('dd', {}, head ? h('span', { id: 'record-size', 'data-size': head.size }, `${head.size} entries`) : h('span', { id: 'record-size' }, 'none yet')),
      h('dt', {}, 'Root hash'),
      h('dd', {}, head ? hash(head.root) : '—'),
      h('dt', {}, 'Signed'),
      h('dd', {}, state.served && head && state.served.size === head.size ? utc(state.served.timestamp) : '—', head ? ` (verified here ${utc(head.verifiedAt)})` : null),
      h('dt', {}, 'Signature'),
      h('dd', {}, signature),
      h('dt', {}, 'Consistency'),
      h('dd', { id: 'record-consistency', 'data-from': state.consistency?.from ?? '', 'data-to': state.consistency?.to ?? '' }, consistency),
      h('dt', {}, 'Witnesses'),
      h(
        'dd',
        { id: 'record-witnesses' },
        witnesses.length === 0
          ? 'No party has cosigned the verified head.'
          : h(
              'ul',
              {},
              witnesses.map((w) =>
                h(
                  'li',
                  {},
                  `${ctx.live.parties.get(w.party)?.name ?? w.party} witnessed ${w.size} entries at ${utc(w.timestamp * 1000)}: `,
                  w.verified === true ? '✓ cosignature verified' : w.verified === false ? '✗ cosignature does not verify with its key' : 'its key is not known here',
                ),
              ),
            ),
      ),
      h('dt', {}, 'Remembered'),
      h(
        'dd',
        { id: 'record-remembered' },
        head
          ? [`Kept in this browser for this server and ${ctx.me.party ?? 'the admin'}: the head of ${head.size} entries, root `, hash(head.root), '.']
          : 'Nothing verified since this page opened.',
        remembered
          ? [` This page started from the head of ${remembered.size} entries, root `, hash(remembered.root), ` (verified ${utc(remembered.verified_at)}), kept by an earlier visit.`]
          : ' No earlier visit of this browser had verified this server\'s record.',
      ),
    ),
  );
}
