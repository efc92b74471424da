"""Bridges to other agent SDKs, each an optional extra imported only when its module is.

- `agentkit.integrations.langchain` (``agentkit-contracts[langchain]``): agentkit tools as LangChain
  ``BaseTool`` objects (`to_langchain`), LangChain tools as agentkit tools (`from_langchain`).
- `agentkit.integrations.openai_agents` (``agentkit-contracts[openai-agents]``): agentkit tools as OpenAI Agents
  SDK ``FunctionTool`` objects (`to_openai_agents`).

The bridged tool keeps agentkit's behaviour whoever calls it: arguments are validated by agentkit and a bad call
becomes the repair hint the model reads, the contract's timeout applies, and sensitive arguments are masked in
events and never echoed.
"""

from __future__ import annotations

__all__ = ()
