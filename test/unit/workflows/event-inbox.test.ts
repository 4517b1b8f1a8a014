import { describe, expect, it } from 'vitest';
import { EventInbox, pushBounded, type EventRecord } from '../../../workflows/shared/event-inbox.js';

type TestEvent = { eventId: string; type: string };
const event = (eventId: string): TestEvent => ({ eventId, type: 't' });

describe('EventInbox', () => {
  it('drops a redelivery of an event waiting or already taken', () => {
    const record: EventRecord = { seenEventIds: [], eventLog: [] };
    const inbox = new EventInbox<TestEvent>(record, { seen: 500, log: 100 });
    expect(inbox.offer(event('e1'))).toBe(true);
    expect(inbox.offer(event('e1'))).toBe(false);
    expect(inbox.take()).toEqual(event('e1'));
    expect(record.seenEventIds).toEqual(['e1']);
    expect(inbox.offer(event('e1'))).toBe(false);
    expect(inbox.hasPending).toBe(false);
  });

  it('keeps the newest ids and log entries within their limits, in the workflow’s own state', () => {
    const record: EventRecord = { seenEventIds: ['a', 'b'], eventLog: [] };
    const inbox = new EventInbox<TestEvent>(record, { seen: 2, log: 2 });
    inbox.markSeen('c');
    expect(record.seenEventIds).toEqual(['b', 'c']);
    for (const id of ['1', '2', '3']) inbox.log({ eventId: id, type: 't', outcome: 'ok' });
    expect(record.eventLog.map((e) => e.eventId)).toEqual(['2', '3']);
    expect(inbox.hasLogged('3')).toBe(true);
    expect(inbox.hasLogged('1')).toBe(false);
  });

  it('takes an event unseen for histories that marked it after applying, and queues its own events without dedupe', () => {
    const record: EventRecord = { seenEventIds: ['e1'], eventLog: [] };
    const inbox = new EventInbox<TestEvent>(record, { seen: 500, log: 100 }, [event('carried')]);
    inbox.enqueue(event('e1'));
    expect(inbox.takeUnseen()).toEqual(event('carried'));
    expect(record.seenEventIds).toEqual(['e1']);
    expect(inbox.pending).toEqual([event('e1')]);
  });

  it('dismisses waiting events into the log, bounded or (top-up) not', () => {
    const record: EventRecord = { seenEventIds: [], eventLog: [] };
    const inbox = new EventInbox<TestEvent>(record, { seen: Infinity, log: 1 });
    inbox.offer(event('a'));
    inbox.offer(event('b'));
    inbox.dismissPending((e) => ({ eventId: e.eventId, type: e.type, outcome: 'ignored' }), { bounded: false });
    expect(record.eventLog.map((e) => e.eventId)).toEqual(['a', 'b']);
    inbox.offer(event('c'));
    inbox.dismissPending((e) => ({ eventId: e.eventId, type: e.type, outcome: 'ignored' }));
    expect(record.eventLog.map((e) => e.eventId)).toEqual(['c']);
    expect(record.seenEventIds).toEqual([]);
  });

  it('pushBounded drops the oldest entries beyond the limit', () => {
    const list = [1, 2, 3];
    pushBounded(list, 4, 3);
    expect(list).toEqual([2, 3, 4]);
  });
});
