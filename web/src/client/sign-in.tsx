import { useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage, type Me } from '../api';
import { ErrorBox, Field, fieldError, useAction, useFocusOnMount } from '../ui';

/** Which practice the client's session (an HttpOnly cookie) was opened for, remembered beside it. */
const CLIENT_SLUG_KEY = 'tallybook.clientSlug';

export function rememberClientSlug(slug: string | null): void {
  try {
    if (slug) localStorage.setItem(CLIENT_SLUG_KEY, slug);
    else localStorage.removeItem(CLIENT_SLUG_KEY);
  } catch {
    // Storage refused (private mode): the session is simply re-checked each time.
  }
}

function rememberedClientSlug(): string | null {
  try {
    return localStorage.getItem(CLIENT_SLUG_KEY);
  } catch {
    return null;
  }
}

/**
 * The client's balance if they are signed in with this practice, else null. A session opened on
 * another practice's page does not count here.
 */
export async function loadMe(slug: string, serviceIds: string[]): Promise<Me | null> {
  const remembered = rememberedClientSlug();
  if (remembered && remembered !== slug) return null;
  try {
    const me = await api.get<Me>('/me');
    const ours = new Set(serviceIds);
    if (!remembered && me.coverage.length > 0 && serviceIds.length > 0 && !me.coverage.some((c) => ours.has(c.serviceId))) return null;
    return me;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}

/** Email → "We sent a 6-digit code to …" → code. */
export function ClientSignIn({ slug, practiceName, onSignedIn, intro }: { slug: string; practiceName: string; onSignedIn: () => void; intro?: string }) {
  const [stage, setStage] = useState<'email' | 'code'>('email');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();
  const heading = useFocusOnMount<HTMLHeadingElement>(stage === 'code');

  const sendCode = async (event?: FormEvent) => {
    event?.preventDefault();
    await run(async () => {
      await api.post(`/public/${encodeURIComponent(slug)}/auth/code`, name.trim() ? { email: email.trim(), name: name.trim() } : { email: email.trim() });
      setStage('code');
      setCode('');
    });
  };

  const verify = async (event: FormEvent) => {
    event.preventDefault();
    await run(
      async () => {
        await api.post(`/public/${encodeURIComponent(slug)}/auth/verify`, { email: email.trim(), code: code.replace(/\D/g, '') });
        rememberClientSlug(slug);
        onSignedIn();
      },
      { keepBusy: true },
    );
  };

  if (stage === 'email') {
    return (
      <form onSubmit={sendCode} className="stack" noValidate>
        <p>{intro ?? `Enter your email and we will send you a code to sign in with ${practiceName}. No password needed.`}</p>
        <Field label="Email" type="email" name="email" autoComplete="email" inputMode="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(error, '/email')} />
        <Field label="Your name" hint="So the practice knows who is coming (optional if you have booked before)." name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        {error !== null && !(error instanceof ApiError && error.fieldError('/email')) && <ErrorBox error={error} />}
        <button type="submit" className="button button-primary" disabled={busy || !email.includes('@')}>
          {busy ? 'Sending…' : 'Send me a code'}
        </button>
      </form>
    );
  }
  return (
    <form onSubmit={verify} className="stack" noValidate>
      <h3 ref={heading} tabIndex={-1} className="small-heading">
        We sent a 6-digit code to {email}
      </h3>
      <p className="hint">It can take a minute to arrive. Check your spam folder if you don’t see it.</p>
      <Field
        label="Code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]*"
        maxLength={12}
        required
        value={code}
        onChange={(e) => setCode(e.target.value.replace(/[^\d\s-]/g, ''))}
        className="code-input"
        error={error instanceof ApiError && error.code === 'validation_failed' ? 'That code is not right. Check it, or send a new one.' : undefined}
      />
      {error !== null && !(error instanceof ApiError && error.code === 'validation_failed') && (
        <ErrorBox>{error instanceof ApiError && error.status === 401 ? 'That code is not right or has expired. Check it, or send a new one.' : errorMessage(error)}</ErrorBox>
      )}
      <button type="submit" className="button button-primary" disabled={busy || code.replace(/\D/g, '').length !== 6}>
        {busy ? 'Checking…' : 'Continue'}
      </button>
      <div className="row">
        <button type="button" className="link-button" onClick={() => void sendCode()} disabled={busy}>
          Send a new code
        </button>
        <button type="button" className="link-button" onClick={() => setStage('email')}>
          Use another email
        </button>
      </div>
    </form>
  );
}
