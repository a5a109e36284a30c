import type { ReactNode } from 'react';
import { RequireAccount } from './account';
import { AcceptInvitation, Landing, Login, ResetPassword, Signup } from './auth-pages';
import { ClientPage, ClientsList } from './clients';
import { AppShell, Home } from './dashboard';
import { Members } from './members';
import { Settings } from './settings';
import { Setup } from './setup';

/** The practitioner's screens, loaded as their own chunk so the booking page stays light. */
export default function PractitionerRoutes({ parts, notFound }: { parts: string[]; notFound: ReactNode }) {
  const [first, second, third] = parts;
  switch (first) {
    case undefined:
      return <Landing />;
    case 'login':
      return <Login />;
    case 'signup':
      return <Signup />;
    case 'reset-password':
      return <ResetPassword />;
    case 'setup':
      return (
        <RequireAccount>
          <Setup />
        </RequireAccount>
      );
    default:
      // The invitation link works before there is an account to sign in with.
      if (second === 'invitation') return <AcceptInvitation />;
      return (
        <RequireAccount>
          <AppShell>
            {!second ? <Home /> : second === 'clients' && third ? <ClientPage id={third} /> : second === 'clients' ? <ClientsList /> : second === 'settings' ? <Settings /> : second === 'team' ? <Members /> : notFound}
          </AppShell>
        </RequireAccount>
      );
  }
}
