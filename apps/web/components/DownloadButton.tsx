"use client";

import { useState } from "react";
import { ApiError } from "@/lib/gql";
import { getSession } from "@/lib/session";
import { ErrorBox } from "./ui";

/**
 * Downloads an API path (same origin, proxied) with the session's bearer token — a plain link could
 * not send the Authorization header — and saves it under `filename`.
 */
export function DownloadButton({ path, filename, label }: { path: string; filename: string; label: string }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError>();
  return (
    <span>
      <button
        type="button"
        className="btn"
        disabled={pending}
        onClick={async () => {
          setPending(true);
          setError(undefined);
          try {
            const token = getSession()?.token;
            const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
            if (!res.ok) {
              let message = `${res.status} ${res.statusText}`;
              let code: string | undefined;
              try {
                const body = (await res.json()) as {
                  errors?: { message: string; extensions?: { code?: string } }[];
                  message?: string;
                  code?: string;
                };
                message = body.errors?.[0]?.message ?? body.message ?? message;
                code = body.errors?.[0]?.extensions?.code ?? body.code;
              } catch {}
              throw new ApiError(message, code);
            }
            const url = URL.createObjectURL(await res.blob());
            const a = document.createElement("a");
            a.href = url;
            a.download = filename;
            document.body.appendChild(a);
            a.click();
            a.remove();
            setTimeout(() => URL.revokeObjectURL(url), 10_000);
          } catch (e) {
            setError(e instanceof ApiError ? e : new ApiError((e as Error).message, "NETWORK"));
          } finally {
            setPending(false);
          }
        }}
      >
        {pending ? "Downloading…" : label}
      </button>
      <ErrorBox error={error} title="Download failed" />
    </span>
  );
}
