import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, errorMessage, type Account } from '../api';
import { allTimeZones, detectTimeZone } from '../format';
import { Link, navigate, useLocation, useTitle } from '../router';
import { ErrorBox, Field, fieldError, Loading, Notice, SelectField, SkipLink, useAction } from '../ui';

export const PASSWORD_LENGTH_MIN = 10;
const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'CHF', 'SEK', 'NOK', 'DKK', 'JPY'];

function AuthShell({ title, children }: { title: string; children: ReactNode }) {
  useTitle(title);
  return (
    <div className="auth-shell">
      <SkipLink />
      <header className="brand-bar">
        <Link to="/" className="brand">
          Tallybook
        </Link>
      </header>
      <main id="main" className="page auth-page">
        <h1 tabIndex={-1}>{title}</h1>
        {children}
      </main>
    </div>
  );
}

export async function currentAccount(): Promise<Account | null> {
  try {
    return await api.get<Account>('/auth/session');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}

export function Landing() {
  const [state, setState] = useState<'checking' | 'out'>('checking');
  useEffect(() => {
    let live = true;
    currentAccount().then(
      (account) => live && (account ? navigate('/app', { replace: true }) : setState('out')),
      () => live && setState('out'),
    );
    return () => {
      live = false;
    };
  }, []);
  useTitle('');
  if (state === 'checking') return <Loading />;
  return (
    <div className="auth-shell">
      <SkipLink />
      <header className="brand-bar">
        <span className="brand">Tallybook</span>
      </header>
      <main id="main" className="page narrow landing">
        <h1 tabIndex={-1}>Sell your sessions in packages. We keep the count.</h1>
        <p className="lead">
          Clients book from one link and pay with credits from the packages they buy. You and they always see the same number of sessions left, and your cancellation policy is applied for you.
        </p>
        <div className="row wrap">
          <Link to="/signup" className="button button-primary button-large">
            Create your practice
          </Link>
          <Link to="/login" className="button button-large">
            Log in
          </Link>
        </div>
        <ol className="how-it-works">
          <li>
            <strong>Sign up</strong> and set your time zone, a first service and your weekly hours.
          </li>
          <li>
            <strong>Add a package</strong> — for example 5 sessions for $400, valid 6 months.
          </li>
          <li>
            <strong>Share your booking link.</strong> Clients buy, book and cancel on their own; you see who is running low.
          </li>
        </ol>
      </main>
    </div>
  );
}

function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}

export function Signup() {
  const [form, setForm] = useState({ name: '', email: '', password: '', practiceName: '', slug: '', timeZone: detectTimeZone(), currency: 'USD' });
  const [slugEdited, setSlugEdited] = useState(false);
  const { busy, error, run } = useAction();
  const zones = allTimeZones();
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(
      async () => {
        await api.post<Account>('/signup', { ...form, email: form.email.trim(), name: form.name.trim(), practiceName: form.practiceName.trim() });
        navigate('/setup');
      },
      { keepBusy: true },
    );
  };

  return (
    <AuthShell title="Create your practice">
      <form onSubmit={submit} className="stack" noValidate>
        <Field label="Your name" name="name" autoComplete="name" required value={form.name} onChange={set('name')} error={fieldError(error, '/name')} />
        <Field label="Email" type="email" name="email" autoComplete="email" required value={form.email} onChange={set('email')} error={fieldError(error, '/email')} />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={PASSWORD_LENGTH_MIN}
          hint={`At least ${PASSWORD_LENGTH_MIN} characters.`}
          value={form.password}
          onChange={set('password')}
          error={fieldError(error, '/password')}
        />
        <Field
          label="Practice name"
          name="practiceName"
          required
          hint="What clients see on your booking page, e.g. “Dana Moss Coaching”."
          value={form.practiceName}
          onChange={(e) => {
            const practiceName = e.target.value;
            setForm((f) => ({ ...f, practiceName, slug: slugEdited ? f.slug : slugify(practiceName) }));
          }}
          error={fieldError(error, '/practiceName')}
        />
        <Field
          label="Booking link"
          name="slug"
          required
          hint={`${window.location.host}/${form.slug || 'your-name'} — 3 to 40 lowercase letters, digits or dashes.`}
          value={form.slug}
          onChange={(e) => {
            setSlugEdited(true);
            setForm((f) => ({ ...f, slug: e.target.value.toLowerCase() }));
          }}
          error={fieldError(error, '/slug') ?? (error instanceof ApiError && error.code === 'conflict' && /slug/i.test(error.message) ? 'That link is taken. Try another.' : undefined)}
        />
        <SelectField label="Time zone" name="timeZone" value={form.timeZone} onChange={set('timeZone')} hint="Your weekly hours are in this zone.">
          {zones.map((z) => (
            <option key={z} value={z}>
              {z.replace(/_/g, ' ')}
            </option>
          ))}
        </SelectField>
        <SelectField label="Currency" name="currency" value={form.currency} onChange={set('currency')} hint="Prices and fees use it. It can’t be changed later.">
          {CURRENCIES.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </SelectField>
        {error !== null && !(error instanceof ApiError && error.code === 'validation_failed' && error.problem.errors?.length) && <ErrorBox error={error} />}
        <button type="submit" className="button button-primary button-large" disabled={busy}>
          {busy ? 'Creating…' : 'Create practice'}
        </button>
        <p>
          Already have an account? <Link to="/login">Log in</Link>
        </p>
      </form>
    </AuthShell>
  );
}

export function Login() {
  const { search } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const next = search.get('next');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(
      async () => {
        await api.post<Account>('/auth/login', { email: email.trim(), password });
        navigate(next && /^\/(app|setup)(\/|\?|$)/.test(next) ? next : '/app');
      },
      { keepBusy: true },
    );
  };
  return (
    <AuthShell title="Log in">
      <form onSubmit={submit} className="stack" noValidate>
        <Field label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {error !== null && <ErrorBox>{error instanceof ApiError && error.status === 401 ? 'That email and password don’t match. Try again, or reset your password.' : <ErrorText error={error} />}</ErrorBox>}
        <button type="submit" className="button button-primary button-large" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p>
          <Link to="/reset-password">Forgot your password?</Link>
        </p>
        <p>
          New here? <Link to="/signup">Create your practice</Link>
        </p>
      </form>
    </AuthShell>
  );
}

function ErrorText({ error }: { error: unknown }) {
  return <>{error instanceof ApiError ? (error.code === 'validation_failed' ? 'Enter your email and password.' : error.code === 'rate_limited' ? 'Too many attempts. Wait a few minutes, then try again.' : error.message) : String(error)}</>;
}

export function ResetPassword() {
  const { search } = useLocation();
  const token = search.get('token');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);

  const request = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      await api.post('/auth/password-reset', { email: email.trim() });
      setDone(true);
    });
  };
  const confirm = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      await api.post('/auth/password-reset/confirm', { token, password });
      setDone(true);
    });
  };

  if (token) {
    return (
      <AuthShell title="Choose a new password">
        {done ? (
          <>
            <Notice kind="success">Your password is changed.</Notice>
            <Link to="/login" className="button button-primary">
              Log in
            </Link>
          </>
        ) : (
          <form onSubmit={confirm} className="stack" noValidate>
            <Field
              label="New password"
              type="password"
              autoComplete="new-password"
              required
              minLength={PASSWORD_LENGTH_MIN}
              hint={`At least ${PASSWORD_LENGTH_MIN} characters.`}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={fieldError(error, '/password')}
            />
            {error !== null && !(error instanceof ApiError && error.fieldError('/password')) && (
              <ErrorBox>{error instanceof ApiError && error.status < 500 ? 'This link has expired or was already used. Ask for a new one.' : <ErrorText error={error} />}</ErrorBox>
            )}
            <button type="submit" className="button button-primary" disabled={busy || password.length < PASSWORD_LENGTH_MIN}>
              {busy ? 'Saving…' : 'Save password'}
            </button>
          </form>
        )}
      </AuthShell>
    );
  }
  return (
    <AuthShell title="Reset your password">
      {done ? (
        <Notice kind="success">If an account uses {email}, we have sent it a link to choose a new password. The link works once, for a limited time.</Notice>
      ) : (
        <form onSubmit={request} className="stack" noValidate>
          <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <ErrorBox error={error} />
          <button type="submit" className="button button-primary" disabled={busy || !email.includes('@')}>
            {busy ? 'Sending…' : 'Send me a link'}
          </button>
          <p>
            <Link to="/login">Back to log in</Link>
          </p>
        </form>
      )}
    </AuthShell>
  );
}

/** The link of an invitation to a practice's team: choose a password (or give the account's own) and join. */
export function AcceptInvitation() {
  const { search } = useLocation();
  const token = search.get('token') ?? '';
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(
      async () => {
        await api.post<Account>('/auth/invitation/accept', { token, password });
        navigate('/app');
      },
      { keepBusy: true },
    );
  };

  const message =
    error instanceof ApiError
      ? error.status === 401
        ? 'That is not the password of your Tallybook account. Try again, or reset your password first.'
        : error.code === 'validation_failed' && !error.fieldError('/password')
          ? 'This invitation has expired or was already used. Ask the practice to send you a new one.'
          : error.fieldError('/password')
            ? null
            : errorMessage(error)
      : error
        ? String(error)
        : null;

  return (
    <AuthShell title="Join the practice">
      {!token ? (
        <ErrorBox>This link is incomplete. Open the link from the invitation mail again.</ErrorBox>
      ) : (
        <form onSubmit={submit} className="stack" noValidate>
          <p>You were invited to work in a practice on Tallybook. Choose a password to join.</p>
          <p className="hint">If you already have a Tallybook account with this email, enter that account’s password instead: the practice is added to it.</p>
          <Field
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            minLength={PASSWORD_LENGTH_MIN}
            hint={`At least ${PASSWORD_LENGTH_MIN} characters.`}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldError(error, '/password')}
          />
          {message && <ErrorBox>{message}</ErrorBox>}
          <button type="submit" className="button button-primary button-large" disabled={busy || password.length < PASSWORD_LENGTH_MIN}>
            {busy ? 'Joining…' : 'Join'}
          </button>
        </form>
      )}
    </AuthShell>
  );
}
