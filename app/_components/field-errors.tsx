/** The server's messages for one field, tied to it with aria-describedby. Renders an empty anchor when there are none. */
export function FieldErrors({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return <span id={id} hidden />;
  return (
    <ul className="field-errors" id={id}>
      {messages.map((m, i) => (
        <li key={i}>{m}</li>
      ))}
    </ul>
  );
}
