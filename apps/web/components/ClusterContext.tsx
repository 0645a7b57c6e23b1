"use client";

import { createContext, useContext } from "react";

export interface MemberInfo {
  id: string;
  shareIndex: number;
  operator: { id: string; address: string; nickname: string | null };
}
export interface ClusterInfo {
  id: string;
  name: string;
  network: string;
  threshold: number;
  status: string;
  myRole: string | null;
  splitterAddress: string | null;
  members: MemberInfo[];
}

export const ClusterContext = createContext<ClusterInfo | null>(null);

export function useCluster(): ClusterInfo {
  const c = useContext(ClusterContext);
  if (!c) throw new Error("useCluster outside a cluster page");
  return c;
}

export function memberName(m: MemberInfo | undefined | null) {
  if (!m) return "unknown member";
  return m.operator.nickname ?? `Member ${m.shareIndex}`;
}

export function useMemberLookup() {
  const c = useCluster();
  return (id: string | null | undefined) => c.members.find((m) => m.id === id);
}
