export function ProgressBar({ fraction, label }: { fraction: number; label: string }) {
  const percent = Math.round(fraction * 100);
  return (
    <div className="progress">
      <progress max={100} value={percent} aria-label={label} />
      <span className="progress-text">{percent}%</span>
    </div>
  );
}
