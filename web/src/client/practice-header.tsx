import type { PublicPage } from '../api';
import { initials } from '../format';
import { Link } from '../router';
import { SkipLink } from '../ui';

/** The booking page's and portal's header: who the practice is, and a way to the other page. */
export function PracticeHeader({
  practice,
  slug,
  signedIn,
  onPortal,
  onSignOut,
}: {
  practice: PublicPage['practice'];
  slug: string;
  signedIn: boolean;
  onPortal?: boolean;
  onSignOut?: () => void;
}) {
  return (
    <header className="practice-header">
      <SkipLink />
      <div className="practice-id">
        <span className="avatar" aria-hidden="true">
          {initials(practice.practitionerName || practice.name)}
        </span>
        <div>
          <p className="practice-name">
            <Link to={`/${slug}`}>{practice.name}</Link>
          </p>
          {practice.practitionerName && <p className="practice-sub">{practice.practitionerName}</p>}
          {practice.description && <p className="practice-sub">{practice.description}</p>}
        </div>
      </div>
      <nav aria-label="Your account" className="practice-nav">
        {onPortal ? (
          <>
            <Link to={`/${slug}`}>Book a session</Link>
            {signedIn && onSignOut && (
              <button type="button" className="link-button" onClick={onSignOut}>
                Sign out
              </button>
            )}
          </>
        ) : (
          <Link to={`/${slug}/me`}>{signedIn ? 'My sessions' : 'Sign in'}</Link>
        )}
      </nav>
    </header>
  );
}
