"""The knowledge base (知识库) of the agent desktop: articles as Markdown files under
``config/knowledge/`` (:mod:`.articles`), segmented with jieba (:mod:`.segment`) into an FTS5
index in the store (:mod:`.index`), searched and suggested during calls (:mod:`.ranking`,
:mod:`.base`), behind the command layer (:mod:`.commands`), the HTTP API (:mod:`.http`) and
the command line (:mod:`.cli`)."""
