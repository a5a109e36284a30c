import { describe, expect, it } from 'vitest';
import { paymentReceipt, receipt, refundReceipt } from '../../src/mail/templates.js';

const AT = Date.parse('2026-03-02T08:00:00.000Z');

describe('receipts of Stripe payments and refunds', () => {
  it('names the Stripe charge and the amount on a package receipt, and leaves it out for a sale paid otherwise', () => {
    const facts = { practiceName: 'Dana Coaching', timeZone: 'Europe/London', clientName: 'Sam', packageName: '5 sessions', credits: 5, amount: { amount: 40000, currency: 'USD' }, paidAtMs: AT, expiresAtMs: null, purchaseId: 'p1' };
    const mail = receipt({ ...facts, charge: 'ch_123' });
    expect(mail.text).toContain('Paid: $400.00 on Monday 2 March 2026\nCharge: ch_123 (Stripe)\nReference: p1');
    expect(mail.html).toContain('Charge: ch_123 (Stripe)');
    expect(receipt(facts).text).not.toContain('Charge:');
  });

  it('says what a single session or a fee paid for', () => {
    const mail = paymentReceipt({ practiceName: 'Dana Coaching', timeZone: 'Europe/London', clientName: 'Sam', what: 'Coaching session, Tuesday 3 March 2026, 09:00–10:00 (Europe/London)', amount: { amount: 9000, currency: 'USD' }, paidAtMs: AT, charge: 'ch_9', reference: 'c1' });
    expect(mail.subject).toBe('Receipt: $90.00 to Dana Coaching');
    expect(mail.text).toContain('Coaching session, Tuesday 3 March 2026, 09:00–10:00 (Europe/London)\nPaid: $90.00 on Monday 2 March 2026\nCharge: ch_9 (Stripe)');
  });

  it('names the refund, the charge it comes from and the credits taken back', () => {
    const mail = refundReceipt({ practiceName: 'Dana Coaching', timeZone: 'Europe/London', clientName: 'Sam', what: '5 sessions', amount: { amount: 16000, currency: 'USD' }, credits: 2, refundedAtMs: AT, reference: 're_1', charge: 'ch_1' });
    expect(mail.subject).toBe('Refund: $160.00 from Dana Coaching');
    expect(mail.text).toContain('Dana Coaching refunded $160.00 to you.\n5 sessions\nRefunded on Monday 2 March 2026\nCharge: ch_1 (Stripe)\nRefund: re_1');
    expect(mail.text).toContain('2 credits were removed from your balance.');
    expect(refundReceipt({ practiceName: 'D', timeZone: 'UTC', clientName: 'S', what: 'Fee', amount: { amount: 2500, currency: 'EUR' }, credits: 0, refundedAtMs: AT, reference: 'r1', charge: null }).text).not.toContain('credit');
  });
});
