import { useState, type FormEvent } from 'react';
import { api, type PaymentSettings, type Practice } from '../api';
import { ErrorBox, Field, fieldError, Loading, Notice, useAction, useLoad } from '../ui';

/** Settings → Payments: who takes the money, whether the account can take charges, the Connect account. */
export function PaymentsPanel({ onSaved }: { onSaved: () => void }) {
  const settings = useLoad(() => api.get<PaymentSettings>('/practice/payments'), []);
  if (settings.loading && !settings.data) return <Loading label="Checking payments…" />;
  if (settings.error || !settings.data) return <ErrorBox error={settings.error} />;
  const { provider, chargesEnabled } = settings.data;
  return (
    <div className="stack" data-testid="payments">
      <p>
        <strong>Payment provider: {provider === 'stripe' ? 'Stripe' : provider === 'dev' ? 'test payments (dev)' : 'none online'}</strong>
      </p>
      {provider === 'stripe' &&
        (chargesEnabled === true ? (
          <Notice kind="success">Charges are enabled: clients pay online by card through Stripe Checkout.</Notice>
        ) : chargesEnabled === false ? (
          <Notice kind="warning">Charges are not enabled on this Stripe account yet. Finish the account’s setup in Stripe; until then clients cannot pay online.</Notice>
        ) : (
          <Notice kind="warning">Stripe could not be reached just now, so whether charges are enabled is not known. Try again in a moment.</Notice>
        ))}
      {provider === 'dev' && <p className="hint">Purchases are marked paid at once and no money moves. Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to take real payments.</p>}
      {provider === 'manual' && <p className="hint">Clients cannot pay online. Record packages sold outside Tallybook from a client’s page (Grant credits).</p>}
      {provider === 'stripe' && (
        <ConnectForm
          current={settings.data.stripeAccountId}
          onSaved={() => {
            settings.reload();
            onSaved();
          }}
        />
      )}
    </div>
  );
}

function ConnectForm({ current, onSaved }: { current: string | null; onSaved: () => void }) {
  const [account, setAccount] = useState(current ?? '');
  const { busy, error, run } = useAction();
  const [saved, setSaved] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    await run(async () => {
      await api.patch<Practice>('/practice', { stripeAccountId: account.trim() === '' ? null : account.trim() });
      setSaved(true);
      onSaved();
    });
  };
  return (
    <form onSubmit={submit} className="stack" noValidate>
      <Field
        label="Stripe Connect account (optional)"
        value={account}
        onChange={(e) => setAccount(e.target.value)}
        placeholder="acct_…"
        hint="Charges go straight to this connected account. Leave empty to use this installation’s own Stripe account."
        error={fieldError(error, '/stripeAccountId')}
      />
      <ErrorBox error={error} />
      {saved && (
        <p role="status" className="saved">
          Saved.
        </p>
      )}
      <button type="submit" className="button" disabled={busy}>
        Save account
      </button>
    </form>
  );
}
