"""The service editor's domain (the console's pages only call it): the form read from the knowledge model
(``schema``), a knowledge file edited in place keeping its comments (``yamlfile``), and an edit checked
against the whole knowledge, previewed, and published atomically (``publish``)."""
