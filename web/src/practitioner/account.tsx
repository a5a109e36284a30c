import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Account } from '../api';
import { navigate } from '../router';
import { ErrorBox, Loading } from '../ui';
import { currentAccount } from './auth-pages';

interface AccountState {
  account: Account;
  reload: () => Promise<void>;
}

const AccountContext = createContext<AccountState | null>(null);

export function useAccount(): AccountState {
  const state = useContext(AccountContext);
  if (!state) throw new Error('useAccount outside RequireAccount');
  return state;
}

/** Practitioner screens: the session is checked once; without one, to the login page and back. */
export function RequireAccount({ children }: { children: ReactNode }) {
  const [account, setAccount] = useState<Account | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const reload = async () => {
    try {
      const found = await currentAccount();
      if (found) setAccount(found);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    // Where to come back to, read before anything navigates; a stale answer (unmounted) does nothing.
    const here = window.location.pathname + window.location.search;
    let live = true;
    currentAccount().then(
      (found) => {
        if (!live) return;
        if (found) setAccount(found);
        else navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, []);
  if (error) {
    return (
      <main id="main" className="page narrow">
        <h1 tabIndex={-1}>Tallybook did not load</h1>
        <ErrorBox error={error} />
        <button type="button" className="button" onClick={() => window.location.reload()}>
          Try again
        </button>
      </main>
    );
  }
  if (!account) return <Loading />;
  return <AccountContext.Provider value={{ account, reload }}>{children}</AccountContext.Provider>;
}
