import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. <Link to="/experiments">Go to the experiments</Link>.
      </p>
    </section>
  );
}
