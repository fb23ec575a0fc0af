// Builds one listing page from listings.json, by the id in the query string.
const id = new URLSearchParams(location.search).get('id');
fetch('listings.json')
  .then((response) => response.json())
  .then((listings) => {
    const listing = listings.find((entry) => entry.id === id);
    const main = document.getElementById('agent');
    if (listing === undefined) {
      main.textContent = 'No such agent.';
      return;
    }
    document.title = `${listing.name} — Agent Gallery`;
    const heading = document.createElement('h1');
    heading.textContent = listing.name;
    const summary = document.createElement('p');
    summary.textContent = listing.summary;
    const table = document.createElement('table');
    for (const [label, value] of Object.entries(listing.facts)) {
      const row = table.insertRow();
      const th = document.createElement('th');
      th.textContent = label;
      row.append(th);
      row.insertCell().textContent = value;
    }
    main.replaceChildren(heading, summary, table);
  });
