// The acknowledgement clock of one recipient, read from its receipt and the server's time. The
// service escalates (line-overdue); the console only counts locally between events, so the clock
// keeps ticking when the stream is quiet and never needs a poll.

import { duration } from '../dom';
import type { Message, Receipt } from '../model';

export type ClockState = 'none' | 'acknowledged' | 'pending' | 'overdue';

export interface Clock {
  state: ClockState;
  /** What the officer reads: "Due in 4m 05s", "OVERDUE by 12s", "Acknowledged". */
  text: string;
  /** For a pending clock: seconds left; for an overdue one: seconds since the deadline. */
  seconds: number;
  /** When the next escalation fires (overdue, below the highest level), in ms; else null. */
  nextEscalationAt: number | null;
}

/** The clock of `recipient` on `message` at `now` (ms on the server's clock). */
export function clockOf(message: Message, recipient: string, now: number): Clock {
  const receipt: Receipt | undefined = message.receipts[recipient];
  if (!message.requires_ack || !receipt) {
    return { state: 'none', text: 'No acknowledgement required', seconds: 0, nextEscalationAt: null };
  }
  if (receipt.acknowledged_at) {
    return { state: 'acknowledged', text: 'Acknowledged', seconds: 0, nextEscalationAt: null };
  }
  const ackDue = message.ack_due_at ? Date.parse(message.ack_due_at) : null;
  const receiptDue = receipt.due_at ? Date.parse(receipt.due_at) : null;
  // Before the first escalation the receipt's due time is the deadline; after it, the receipt's
  // due time is the next escalation and the deadline stays the message's ack_due_at.
  const deadline = receipt.escalation_level === 0 ? (receiptDue ?? ackDue) : (ackDue ?? receiptDue);
  if (deadline === null) {
    return { state: 'overdue', text: 'OVERDUE', seconds: 0, nextEscalationAt: null };
  }
  // Never more than the whole window the sender gave: a local clock estimated a little behind the
  // server's must not show a deadline further away than it can be.
  const left = Math.min((deadline - now) / 1000, (deadline - Date.parse(message.sent_at)) / 1000);
  if (left > 0 && receipt.escalation_level === 0) {
    // Ceil: "Due in 1s" until the very moment it is due, never "Due in 0s" while still pending.
    return { state: 'pending', text: `Due in ${duration(Math.ceil(left))}`, seconds: Math.ceil(left), nextEscalationAt: null };
  }
  const late = Math.max(0, Math.floor(-left));
  const next = receipt.escalation_level > 0 ? receiptDue : null;
  return { state: 'overdue', text: `OVERDUE by ${duration(late)}`, seconds: late, nextEscalationAt: next };
}

/** The recipients whose acknowledgement is still due, in the message's order. */
export function pendingRecipients(message: Message): string[] {
  return message.requires_ack ? message.to.filter((p) => message.receipts[p] && !message.receipts[p].acknowledged_at) : [];
}

/** The message's most urgent clock for the sender: the pending recipient with the earliest deadline. */
export function worstClock(message: Message, now: number): { recipient: string; clock: Clock } | null {
  let worst: { recipient: string; clock: Clock } | null = null;
  for (const recipient of pendingRecipients(message)) {
    const clock = clockOf(message, recipient, now);
    const rank = (c: Clock) => (c.state === 'overdue' ? 1e12 + c.seconds : -c.seconds);
    if (!worst || rank(clock) > rank(worst.clock)) {
      worst = { recipient, clock };
    }
  }
  return worst;
}
